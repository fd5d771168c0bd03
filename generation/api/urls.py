from django.urls import path
from rest_framework.routers import SimpleRouter

from generation.api.accounts import (
    CreditGrantView,
    LogoutView,
    MeView,
    MyCreditsView,
    RegisterView,
    TokenView,
)
from generation.api.event_views import batch_events, image_events
from generation.api.image_views import ImageViewSet, UploadViewSet
from generation.api.views import BatchViewSet, OutlineDraftView, PageViewSet, ProviderHealthView
from generation.api.webhooks import KieWebhookView

router = SimpleRouter()
router.register("batches", BatchViewSet, basename="batch")
router.register("pages", PageViewSet, basename="page")
router.register("uploads", UploadViewSet, basename="upload")
router.register("images", ImageViewSet, basename="image")

urlpatterns = [
    path("batches/<str:pk>/events/", batch_events, name="batch-events"),
    path("images/<str:pk>/events/", image_events, name="image-events"),
    *router.urls,
    path("outlines/", OutlineDraftView.as_view(), name="outline-draft"),
    path("providers/", ProviderHealthView.as_view(), name="provider-list"),
    path("webhooks/kie/", KieWebhookView.as_view(), name="kie-webhook"),
    path("auth/register/", RegisterView.as_view(), name="auth-register"),
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/logout/", LogoutView.as_view(), name="auth-logout"),
    path("me/", MeView.as_view(), name="me"),
    path("me/credits/", MyCreditsView.as_view(), name="me-credits"),
    path("credits/grants/", CreditGrantView.as_view(), name="credit-grant"),
]

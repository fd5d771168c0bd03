from django.urls import path
from rest_framework.routers import SimpleRouter

from generation.api.image_views import ImageViewSet, UploadViewSet
from generation.api.views import BatchViewSet, OutlineDraftView, PageViewSet, ProviderHealthView
from generation.api.webhooks import KieWebhookView

router = SimpleRouter()
router.register("batches", BatchViewSet, basename="batch")
router.register("pages", PageViewSet, basename="page")
router.register("uploads", UploadViewSet, basename="upload")
router.register("images", ImageViewSet, basename="image")

urlpatterns = [
    *router.urls,
    path("outlines/", OutlineDraftView.as_view(), name="outline-draft"),
    path("providers/", ProviderHealthView.as_view(), name="provider-list"),
    path("webhooks/kie/", KieWebhookView.as_view(), name="kie-webhook"),
]

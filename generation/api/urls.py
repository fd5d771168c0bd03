from django.urls import path
from rest_framework.routers import SimpleRouter

from generation.api.views import BatchViewSet, OutlineDraftView, PageViewSet, ProviderHealthView
from generation.api.webhooks import KieWebhookView

router = SimpleRouter()
router.register("batches", BatchViewSet, basename="batch")
router.register("pages", PageViewSet, basename="page")

urlpatterns = [
    *router.urls,
    path("outlines/", OutlineDraftView.as_view(), name="outline-draft"),
    path("providers/", ProviderHealthView.as_view(), name="provider-list"),
    path("webhooks/kie/", KieWebhookView.as_view(), name="kie-webhook"),
]

from django.urls import path
from rest_framework.routers import SimpleRouter

from generation.api.views import BatchViewSet, PageViewSet, ProviderHealthView

router = SimpleRouter()
router.register("batches", BatchViewSet, basename="batch")
router.register("pages", PageViewSet, basename="page")

urlpatterns = [
    *router.urls,
    path("providers/", ProviderHealthView.as_view(), name="provider-list"),
]

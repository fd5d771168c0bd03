from rest_framework.routers import SimpleRouter

from generation.api.views import BatchViewSet, PageViewSet

router = SimpleRouter()
router.register("batches", BatchViewSet, basename="batch")
router.register("pages", PageViewSet, basename="page")

urlpatterns = router.urls

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from config.api import no_such_endpoint
from config.health import healthz, readyz
from generation.signing import signed_media
from templates_app.api import SlideTemplateViewSet

templates_router = SimpleRouter()
templates_router.register("templates", SlideTemplateViewSet, basename="template")
api_v1 = [path("", include("generation.api.urls")), *templates_router.urls]

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("media/signed/<str:token>/", signed_media, name="signed-media"),
    path("api/v1/", include((api_v1, "api"))),
    path("api/v1/review/", include("review.urls")),
    path("review/", include("review.view_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", no_such_endpoint),
]
if settings.DEBUG or not settings.S3_BUCKET:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "config.api.bad_request"
handler403 = "config.api.permission_denied"
handler404 = "config.api.not_found"
handler500 = "config.api.server_error"

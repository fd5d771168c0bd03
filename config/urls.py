from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from config.api import no_such_endpoint
from config.health import healthz, readyz
from config.signin import ThrottledAdminAuthenticationForm, throttled_signin_view
from generation.signing import signed_media
from templates_app.api import SlideTemplateViewSet

admin.site.login_form = ThrottledAdminAuthenticationForm
templates_router = SimpleRouter()
templates_router.register("templates", SlideTemplateViewSet, basename="template")
api_v1 = [path("", include("generation.api.urls")), *templates_router.urls]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/login/", throttled_signin_view(admin.site.login), name="admin-login"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("media/signed/<str:token>/", signed_media, name="signed-media"),
    path("api/v1/", include((api_v1, "api"))),
    path("api/v1/review/", include("review.api.urls")),
    path("review/", include("review.site.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    re_path(r"^api/", no_such_endpoint),
    path("", include("webapp.urls")),
]

handler400 = "config.api.bad_request"
handler403 = "config.api.permission_denied"
handler404 = "config.api.not_found"
handler500 = "config.api.server_error"

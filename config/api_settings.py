"""The REST API's settings (/api/v1/): Django REST framework's (authentication, the one JSON
error shape, strict parsers, pagination), its throttle rates, and the OpenAPI schema's
(drf-spectacular)."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_int, env_str

# REST API (/api/v1/): token and session auth, one JSON error shape, throttled writes.
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 20, minimum=1)


def _throttle_rate(name: str, default: str) -> str:
    """A DRF rate like '30/hour' (period s, m, h or d); a malformed value fails at start-up."""
    value = env_str(name) or default
    count, _, period = value.partition("/")
    if not count.isdigit() or not period or period[0] not in "smhd":
        raise ImproperlyConfigured(f"{name} must look like '30/hour', got {value!r}")
    return value


API_THROTTLE_RATES = {
    "batch_create": _throttle_rate("THROTTLE_BATCH_CREATE", "30/hour"),
    "regenerate": _throttle_rate("THROTTLE_REGENERATE", "120/hour"),
    "outline_draft": _throttle_rate("THROTTLE_OUTLINE_DRAFT", "60/hour"),
    "upload": _throttle_rate("THROTTLE_UPLOAD", "120/hour"),
    "register": _throttle_rate("THROTTLE_REGISTER", "10/hour"),  # per client address
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["config.renderers.JSONRenderer"],
    # UTF-8 JSON only, checked for depth, NUL and lone surrogates (config/parsers.py)
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.parsers.StrictContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    # `?format=` names an export format, not a renderer.
    "URL_FORMAT_OVERRIDE": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Throttles key anonymous clients on REMOTE_ADDR alone. DRF's default (None) would take a
    # request's whole X-Forwarded-For header, which any client can set to a new value each
    # time (https://www.django-rest-framework.org/api-guide/throttling/, "How clients are
    # identified"); behind the proxy, uvicorn's --proxy-headers puts the client's address in
    # REMOTE_ADDR, and only for the proxy named by --forwarded-allow-ips.
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "nanodeck API",
    "DESCRIPTION": "Outline to slide deck, step by step. Errors always look like "
    '{"error": {"code": "...", "message": "...", "details": {...}}}.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "BatchKindEnum": ["deck", "image"],
        "BatchStatusEnum": "generation.models.BatchStatus",
        "PageKindEnum": "generation.slides.PAGE_KINDS",
        "PageStatusEnum": "generation.models.PageStatus",
        "StepEnum": "generation.models.Step",
        # A page edit may ask for "auto" (the layout chosen by the content); a regeneration's
        # edit names a layout.
        "LayoutEnum": "generation.render.layouts.CONTENT_LAYOUTS",
        "LayoutOrAutoEnum": "generation.services.page_edits.LAYOUT_CHOICES",
        "ImageModeEnum": "generation.services.images.MODES",
    },
}

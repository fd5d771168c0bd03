"""nanodeck settings: embedded defaults, production by environment only (see README)."""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_credit_costs,
    env_float,
    env_int,
    env_json,
    env_list,
    env_map_int,
    env_str,
)
from config.keyfile import check_not_public, local_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
# Without SECRET_KEY a random key is made once into a local, git-ignored file; a key that has
# been public is refused, and REQUIRE_SECRET_KEY=1 (production) refuses to start without one.
SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY:
    check_not_public(SECRET_KEY)
elif env_bool("REQUIRE_SECRET_KEY", default=False):
    raise ImproperlyConfigured("SECRET_KEY must be set in production (REQUIRE_SECRET_KEY=1)")
else:
    SECRET_KEY = local_secret_key(Path(env_str("SECRET_KEY_FILE") or BASE_DIR / ".secret_key"))
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# HTTPS (README "Deployment"): secure cookies and HSTS unless DEBUG=1, so that `make run` works
# on http://127.0.0.1. TLS usually ends at a proxy: SECURE_SSL_REDIRECT=1 wants
# TRUST_X_FORWARDED_PROTO=1 there, or every request would be redirected again and again.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "templates_app",
    "generation",
    "review",
    "webapp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # static files from this process (README "Deployment"): collected ones, or with DEBUG=1
    # straight from the apps' static folders (no collectstatic for `make run`)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # before anything reads a cookie or looks up the address (see config/middleware.py)
    "config.middleware.RefuseUnstorableTextMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite (WAL, busy timeout, IMMEDIATE transactions) unless DATABASE_URL is set.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0)
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH") or str(BASE_DIR / "db.sqlite3"),
            # Kept open between tasks too: a worker opened one per task (~3 ms of CPU each).
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60, minimum=0),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and queue broker: Redis when REDIS_URL is set, else local memory + the django-q2 ORM broker.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

Q_CLUSTER = {
    "name": env_str("Q_CLUSTER_NAME") or "nanodeck",
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    "timeout": env_int("Q_TIMEOUT", 600, minimum=10),
    "retry": env_int("Q_TIMEOUT", 600, minimum=10) + 120,
    "max_attempts": 1,
    "catch_up": False,
    # The ORM broker's pause when its queue is empty (Redis blocks instead): a deck waits for
    # it twice before its first page (plan, then pages); 0.05 s costs ~0.7% of a core idle.
    "poll": 0.05,
    "ack_failures": True,
    # No pruning on every result: with a limit, each saved result read the whole success
    # table under a lock. The daily cleanup deletes the history after RETENTION_DAYS.
    "save_limit": 0,
    "label": "Task queue",
}
# How many tasks the cluster's pusher takes from the broker ahead of its workers (django-q2's
# default: workers squared, i.e. a whole deck's page tasks at once). Taken ahead, a task waits in
# the cluster's memory, where a dead cluster loses it until the sweeper; and on SQLite the
# pusher's 100 dequeue writes at a deck's start queued with its first pages' writes.
Q_CLUSTER["queue_limit"] = 2 * Q_CLUSTER["workers"]
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    if not DATABASE_URL:  # SQLite: a sent task wakes the cluster through a pipe (services/queue.py)
        Q_CLUSTER["broker_class"] = "generation.services.queue.SqliteBroker"

# Storage: local files under media/ unless S3_BUCKET is set (any S3-compatible service).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "/media/"
# People sign in on the web app; evaluators on the review site (review/site names its own
# login page), staff on the admin's.
LOGIN_URL = "app:signin"
LOGIN_REDIRECT_URL = "app:home"
LOGOUT_REDIRECT_URL = "app:signin"
# Sign-in throttling (config.signin): this many wrong passwords for one username from one
# address lock it out there for the window.
SIGNIN_MAX_FAILURES = env_int("SIGNIN_MAX_FAILURES", 5, minimum=1)
SIGNIN_WINDOW_SECONDS = env_int("SIGNIN_WINDOW_SECONDS", 900, minimum=1)

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG
# Every media link is signed and expires (README "Media links"): presigned by S3, or this
# server's /media/signed/<token>/ for local files. Nothing under MEDIA_URL is served.
SIGNED_URL_MAX_AGE_SECONDS = env_int("SIGNED_URL_MAX_AGE_SECONDS", 3600, minimum=60)
for _removed in ("S3_CUSTOM_DOMAIN", "S3_SIGNED_URLS"):
    if env_str(_removed):
        raise ImproperlyConfigured(f"{_removed} is gone: media links are always presigned")


def s3_storage(*, bucket: str, endpoint_url: str, max_age: int, **credentials: str) -> dict:
    """The S3 storage (django-storages): private objects, links presigned for `max_age`
    seconds; `credentials` are region_name, access_key, secret_key (empty: boto3's own)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            **{name: value or None for name, value in credentials.items()},
            "querystring_auth": True,
            "querystring_expire": max_age,
            "signature_version": "s3v4",  # presigned links with X-Amz-Expires, any region
            "file_overwrite": False,
            # S3-compatible services all understand path-style addresses (bucket in the path).
            "addressing_style": "path" if endpoint_url else None,
        },
    }


S3_BUCKET = env_str("S3_BUCKET")
S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL")
if S3_BUCKET:
    _default_storage = s3_storage(
        bucket=S3_BUCKET,
        endpoint_url=S3_ENDPOINT_URL,
        max_age=SIGNED_URL_MAX_AGE_SECONDS,
        region_name=env_str("S3_REGION"),
        access_key=env_str("S3_ACCESS_KEY_ID"),
        secret_key=env_str("S3_SECRET_ACCESS_KEY"),
    )
    _parts = urlsplit(S3_ENDPOINT_URL)
    _media_origins = (
        [f"{_parts.scheme}://{_parts.netloc}"] if S3_ENDPOINT_URL else ["https://*.amazonaws.com"]
    )
else:
    _default_storage = {"BACKEND": "generation.signing.SignedFileSystemStorage"}
    _media_origins = []
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Content-Security-Policy (config.security): nothing inline, nothing from elsewhere but media.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", *_media_origins, *env_list("CSP_IMG_SRC", [])],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
# The web app speaks English and Simplified Chinese, chosen from the browser or with its switch.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "nanodeck": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    },
}

# nanodeck
NANODECK = {
    "DEFAULT_PROVIDER": env_str("DEFAULT_PROVIDER") or "local",
    "DEFAULT_SIZE": env_str("DEFAULT_SIZE") or "1536x864",
    "MAX_OUTLINE_CHARS": env_int("MAX_OUTLINE_CHARS", 20000, minimum=100),
    "MAX_PAGES_PER_BATCH": env_int("MAX_PAGES_PER_BATCH", 60, minimum=3),
    "OCR_ENABLED": env_bool("OCR_ENABLED", default=True),
    "OCR_LANGUAGES": env_str("OCR_LANGUAGES") or "chi_sim+eng",
    # The tesseract library the OCR check loads (a file name the loader finds, or a path).
    "TESSERACT_LIBRARY": env_str("TESSERACT_LIBRARY") or "libtesseract.so.5",
    # Workers: a page lease lasts this long and is renewed before every attempt.
    "PAGE_LEASE_SECONDS": env_int("PAGE_LEASE_SECONDS", 300, minimum=2),
    # The sweeper re-queues pending pages whose task has not started after this long.
    "REQUEUE_AFTER_SECONDS": env_int("REQUEUE_AFTER_SECONDS", 600, minimum=1),
    # On SIGTERM a worker gives the page in hand this long to finish, then hands it back.
    "WORKER_STOP_GRACE_SECONDS": env_int("WORKER_STOP_GRACE_SECONDS", 5, minimum=0),
    # Calls in flight per provider, across all workers: "local=5,gemini=5"; others default to 5.
    "PROVIDER_CONCURRENCY": env_map_int("PROVIDER_CONCURRENCY", {}),
    "DEFAULT_PROVIDER_CONCURRENCY": env_int("DEFAULT_PROVIDER_CONCURRENCY", 5, minimum=1),
    # Transient provider errors: waits between tries (seconds), separate from quality retries.
    "TRANSIENT_BACKOFF": [float(x) for x in env_list("TRANSIENT_BACKOFF", ["1", "2", "5"])],
    # Requests per minute per provider across all workers: "gemini=10"; unset means no limit.
    "PROVIDER_RPM": env_map_int("PROVIDER_RPM", {}),
    "RATE_WINDOW_SECONDS": env_int("RATE_WINDOW_SECONDS", 60, minimum=1),
    # Circuit breaker: after this many consecutive transient failures calls wait this long.
    "CIRCUIT_FAILURES": env_int("CIRCUIT_FAILURES", 5, minimum=1),
    "CIRCUIT_COOLDOWN_SECONDS": env_int("CIRCUIT_COOLDOWN_SECONDS", 30, minimum=1),
    # Price overrides, JSON: {"model": {"image_1K": 0.1, "image_2K": 0.1, "image_4K": 0.2,
    # "input_image": 0.001, "input_mtok": 0.3, "output_mtok": 2.5}} (USD);
    # see generation/providers/pricing.py.
    "PRICE_TABLE": env_json("PRICE_TABLE_JSON", {}),
    # Asynchronous providers (kie): poll a task with no webhook after this long; a waiting page
    # is re-queued after ASYNC_WAIT_SECONDS even if neither webhook nor poll has answered.
    "ASYNC_POLL_AFTER_SECONDS": env_int("ASYNC_POLL_AFTER_SECONDS", 60, minimum=1),
    "ASYNC_WAIT_SECONDS": env_int("ASYNC_WAIT_SECONDS", 900, minimum=10),
    # Gemini Batch API (options.delivery = "batch"): a render request waits this long for
    # others of its batch before the collector sends them together in one job.
    "GEMINI_BATCH_GATHER_SECONDS": env_int("GEMINI_BATCH_GATHER_SECONDS", 30, minimum=0),
    # Human review: how long a review item stays leased to the evaluator who opened it.
    "REVIEW_LEASE_SECONDS": env_int("REVIEW_LEASE_SECONDS", 900, minimum=60),
    # Calibration moves a step's threshold only with this many evaluated outputs and when
    # Cohen's kappa against the human verdicts rises by at least the gain.
    "CALIBRATION_MIN_SAMPLES": env_int("CALIBRATION_MIN_SAMPLES", 30, minimum=5),
    "CALIBRATION_MIN_GAIN": env_float("CALIBRATION_MIN_GAIN", 0.05, minimum=0.0),
    # Template reference images: uploads over these caps are refused from their header (before
    # decoding); what is stored is downscaled so that its long side is at most MAX_SIDE.
    "TEMPLATE_IMAGE_MAX_BYTES": env_int("TEMPLATE_IMAGE_MAX_BYTES", 10_000_000, minimum=10_000),
    "TEMPLATE_IMAGE_MAX_PIXELS": env_int("TEMPLATE_IMAGE_MAX_PIXELS", 40_000_000, minimum=65_536),
    "TEMPLATE_IMAGE_MAX_SIDE": env_int("TEMPLATE_IMAGE_MAX_SIDE", 2048, minimum=256),
    # Uploads (POST /api/v1/uploads/): caps checked from the header before decoding, and the
    # hours an upload no image or batch has used is kept before the daily cleanup deletes it.
    "UPLOAD_MAX_BYTES": env_int("UPLOAD_MAX_BYTES", 10_000_000, minimum=10_000),
    "UPLOAD_MAX_PIXELS": env_int("UPLOAD_MAX_PIXELS", 40_000_000, minimum=65_536),
    "UPLOAD_TTL_HOURS": env_int("UPLOAD_TTL_HOURS", 24, minimum=1),
    "IDEMPOTENCY_TTL_HOURS": env_int("IDEMPOTENCY_TTL_HOURS", 24, minimum=1),
    # Finished batches (with their files) and the task queue's history are deleted this many
    # days after they finished, by the daily cleanup; 0 keeps them forever.
    "RETENTION_DAYS": env_int("RETENTION_DAYS", 30, minimum=0),
    "BENCHMARK_PROVIDERS": env_bool("BENCHMARK_PROVIDERS", default=False),
    # The benchmark provider's delay: log-normal with this median and p95 (a p95 equal to the
    # median: always the median), a share of stuck calls that take FACTOR times longer, and
    # the seed of its draws.
    "LATENCY_PROVIDER_SECONDS": env_float("LATENCY_PROVIDER_SECONDS", 0.5),
    "LATENCY_PROVIDER_P95": env_float("LATENCY_PROVIDER_P95", 0.0),
    "LATENCY_PROVIDER_STUCK_RATE": env_float("LATENCY_PROVIDER_STUCK_RATE", 0.0),
    "LATENCY_PROVIDER_STUCK_FACTOR": env_float("LATENCY_PROVIDER_STUCK_FACTOR", 10.0, minimum=1.0),
    "LATENCY_PROVIDER_SEED": env_str("LATENCY_PROVIDER_SEED") or "0",
    # Hedged image calls (options.hedge): providers whose batches hedge unless they say not to;
    # the quantile of the provider's recent call times after which a duplicate call starts,
    # over its last HEDGE_HISTORY successful calls; with fewer than HEDGE_MIN_HISTORY of them
    # the duplicate starts after HEDGE_PRIOR_SECONDS instead.
    "HEDGE_PROVIDERS": env_list("HEDGE_PROVIDERS", []),
    "HEDGE_QUANTILE": env_float("HEDGE_QUANTILE", 0.9, minimum=0.5),
    "HEDGE_HISTORY": env_int("HEDGE_HISTORY", 100, minimum=10),
    "HEDGE_MIN_HISTORY": env_int("HEDGE_MIN_HISTORY", 20, minimum=1),
    "HEDGE_PRIOR_SECONDS": env_float("HEDGE_PRIOR_SECONDS", 45.0, minimum=0.01),
    # Live progress (README "Live progress"): a comment line on an idle event stream this often;
    # how often a batch's stream looks at the database for changes without Redis, and with
    # Redis (which wakes it at once) in case a change was written without a message.
    "EVENTS_HEARTBEAT_SECONDS": env_float("EVENTS_HEARTBEAT_SECONDS", 15.0, minimum=0.01),
    "EVENTS_POLL_SECONDS": env_float("EVENTS_POLL_SECONDS", 0.5, minimum=0.01),
    "EVENTS_REDIS_POLL_SECONDS": env_float("EVENTS_REDIS_POLL_SECONDS", 5.0, minimum=0.01),
}

# Remote providers: a provider is configured when its key is set. Keys are read here only,
# never stored in the database and never logged.
PROVIDER_SETTINGS = {
    "gemini": {
        "api_key": env_str("GEMINI_API_KEY"),
        "base_url": env_str("GEMINI_BASE_URL") or "https://generativelanguage.googleapis.com",
        # Current GA models (README "Providers"; generation/providers/gemini_models.py)
        "image_model": env_str("GEMINI_IMAGE_MODEL") or "gemini-3-pro-image",
        "text_model": env_str("GEMINI_TEXT_MODEL") or "gemini-3.8-flash",
    },
    "openai": {
        "api_key": env_str("OPENAI_API_KEY"),
        "base_url": env_str("OPENAI_BASE_URL") or "https://api.openai.com",
        "image_model": env_str("OPENAI_IMAGE_MODEL") or "gpt-image-1",
        "text_model": env_str("OPENAI_TEXT_MODEL") or "gpt-4o-mini",
        # "images" (images/generations and images/edits) or "chat" (gateways that return
        # images from chat/completions)
        "image_api": env_str("OPENAI_IMAGE_API") or "images",
    },
}
PROVIDER_SETTINGS["kie"] = {
    "api_key": env_str("KIE_API_KEY"),
    "base_url": env_str("KIE_BASE_URL") or "https://api.kie.ai",
    "image_model": env_str("KIE_IMAGE_MODEL") or "nano-banana-pro",
    # refines a page's image (docs.kie.ai/market/google/nano-banana-edit)
    "edit_model": env_str("KIE_EDIT_MODEL") or "google/nano-banana-edit",
    # kie's webhookHmacKey (docs.kie.ai/common-api/webhook-verification)
    "webhook_secret": env_str("KIE_WEBHOOK_SECRET"),
}
# Where providers reach this server (webhooks, signed reference-image links).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL") or "http://127.0.0.1:8000"
PROVIDER_TIMEOUT_SECONDS = env_int("PROVIDER_TIMEOUT_SECONDS", 120, minimum=5)

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

# Credits (generation/services/credits.py): what new users get, what work costs, and whether
# staff pay. Prices are whole credits: an image by size (1K, 2K, 4K) and a deck page.
SIGNUP_CREDITS = env_int("SIGNUP_CREDITS", 20, minimum=0)
CREDIT_COSTS = env_credit_costs("CREDIT_COSTS")
CHARGE_STAFF = env_bool("CHARGE_STAFF", default=False)
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

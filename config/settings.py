"""nanodeck settings: embedded defaults, production by environment only (see README)."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# Blocks of settings live in modules of their own, one job each; the names they define are
# imported here (noqa F401: Django reads its settings from this module).
from config.api_settings import (  # noqa: F401
    API_PAGE_SIZE,
    API_THROTTLE_RATES,
    REST_FRAMEWORK,
    SPECTACULAR_SETTINGS,
)
from config.backend_settings import caches, databases, q_cluster
from config.env import env_bool, env_credit_costs, env_int, env_list, env_str
from config.keyfile import check_not_public, local_secret_key
from config.nanodeck_settings import NANODECK  # noqa: F401
from config.provider_settings import (  # noqa: F401
    PROVIDER_SETTINGS,
    PROVIDER_TIMEOUT_SECONDS,
    PUBLIC_BASE_URL,
)
from config.storage_settings import (  # noqa: F401
    S3_BUCKET,
    S3_ENDPOINT_URL,
    SIGNED_URL_MAX_AGE_SECONDS,
    STORAGES,
    media_origins,
)

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

# Database: SQLite (WAL, busy timeout, IMMEDIATE transactions) unless DATABASE_URL is set; cache
# and queue broker: Redis when REDIS_URL is set, else local memory + the django-q2 ORM broker
# (config/backend_settings.py).
DATABASE_URL = env_str("DATABASE_URL")
DATABASES = databases(DATABASE_URL, sqlite_default=BASE_DIR / "db.sqlite3")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REDIS_URL = env_str("REDIS_URL")
CACHES = caches(REDIS_URL)
Q_CLUSTER = q_cluster(redis_url=REDIS_URL, database_url=DATABASE_URL)

# Storage: local files under media/ unless S3_BUCKET is set (any S3-compatible service); the
# storage, its signed links and S3_* in config/storage_settings.py.
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
# Content-Security-Policy (config.security): nothing inline, nothing from elsewhere but media.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": [
        "'self'",
        "data:",
        *media_origins(bucket=S3_BUCKET, endpoint_url=S3_ENDPOINT_URL),
        *env_list("CSP_IMG_SRC", []),
    ],
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

# nanodeck's own settings (NANODECK) in config/nanodeck_settings.py; the remote providers'
# (PROVIDER_SETTINGS, PUBLIC_BASE_URL, PROVIDER_TIMEOUT_SECONDS) in config/provider_settings.py;
# the REST API's (REST_FRAMEWORK, API_PAGE_SIZE, API_THROTTLE_RATES, SPECTACULAR_SETTINGS) in
# config/api_settings.py.

# Credits (generation/services/credits.py): what new users get, what work costs, and whether
# staff pay. Prices are whole credits: an image by size (1K, 2K, 4K) and a deck page.
SIGNUP_CREDITS = env_int("SIGNUP_CREDITS", 20, minimum=0)
CREDIT_COSTS = env_credit_costs("CREDIT_COSTS")
CHARGE_STAFF = env_bool("CHARGE_STAFF", default=False)

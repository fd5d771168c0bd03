import uuid

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes its files into its own temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Passwords hashed in a test need no key stretching: MD5 instead of PBKDF2's 10^6 rounds
    (cookiecutter-django's test settings do the same)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle_history(settings):
    """Throttle history lives in the cache: a key prefix of its own per test isolates it."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    }


@pytest.fixture(autouse=True)
def _work_costs_no_credits(settings):
    """Work is free unless a test is about credits: those set CREDIT_COSTS themselves
    (tests/generation/credits.py, `priced`), so the other tests need no balance."""
    settings.CREDIT_COSTS = dict.fromkeys(settings.CREDIT_COSTS, 0)


@pytest.fixture
def no_ocr(settings):
    """Pages rendered without the OCR text check, for modules about something else (edits,
    versions, the admin, workers): the check reads each page for ~0.2 s of CPU and has its
    own tests (tests/generation/test_text_check.py, test_text_regions.py, the `ocr` marker)."""
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """The SQLite test database is a file in WAL mode, as in production, not Django's default
    shared-cache in-memory database: there, threads that write at once (a hedged call and its
    duplicate, a page's worker thread and the test) get "database table is locked" at once,
    which SQLite's busy timeout does not wait out, where a file database makes them take turns."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        test_file = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(test_file)

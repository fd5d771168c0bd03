"""Production differs only by environment: the same settings module, other variables."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "db_name": settings.DATABASES["default"]["NAME"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "broker": "redis" if "redis" in settings.Q_CLUSTER else "orm",
    "storage": settings.STORAGES["default"]["BACKEND"],
    "bucket": settings.STORAGES["default"].get("OPTIONS", {}).get("bucket_name"),
    "sqlite_mode": settings.DATABASES["default"].get("OPTIONS", {}).get("transaction_mode"),
}))
"""


def probe(**env: str) -> dict:
    clean = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_embedded_defaults_are_sqlite_orm_broker_and_local_files():
    assert probe() == {
        "db": "django.db.backends.sqlite3",
        "db_name": str(ROOT / "db.sqlite3"),
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "broker": "orm",
        "storage": "generation.signing.SignedFileSystemStorage",
        "bucket": None,
        "sqlite_mode": "IMMEDIATE",
    }


def test_environment_variables_switch_to_postgresql_redis_and_s3():
    found = probe(
        DATABASE_URL="postgres://app@db.internal:5432/nanodeck",
        REDIS_URL="redis://cache.internal:6379/0",
        S3_BUCKET="decks",
    )

    assert found["db"] == "django.db.backends.postgresql"
    assert found["db_name"] == "nanodeck"
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert found["broker"] == "redis"
    assert (found["storage"], found["bucket"]) == ("storages.backends.s3.S3Storage", "decks")


def test_a_malformed_variable_stops_start_up_with_its_name():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "Q_WORKERS": "many",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Q_WORKERS must be an integer, got 'many'" in result.stderr


PUBLIC_KEY = "insecure-local-only-key-set-SECRET_KEY-in-production"
KEY_PROBE = (
    "import django; from django.conf import settings; django.setup(); print(settings.SECRET_KEY)"
)
PRODUCTION = {
    "DEBUG": "0",
    "REQUIRE_SECRET_KEY": "1",
    "SECRET_KEY": "k" * 20 + "x7Qm2vR9tZpL4sWn8yBc3dFg6hJk1aE5uIo0" + "p" * 10,
    "ALLOWED_HOSTS": "deck.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "TRUST_X_FORWARDED_PROTO": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_without_secret_key_a_random_key_is_made_once_into_a_local_file(tmp_path):
    key_file = tmp_path / "secret_key"

    first = run_python(KEY_PROBE, SECRET_KEY_FILE=str(key_file))
    second = run_python(KEY_PROBE, SECRET_KEY_FILE=str(key_file))

    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert key != PUBLIC_KEY
    assert len(key) >= 50
    assert second.stdout.strip() == key == key_file.read_text().strip()
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only


def test_the_local_key_file_is_ignored_by_git():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".secret_key"], cwd=ROOT, check=False
    ).returncode
    assert ignored == 0


def test_a_server_refuses_to_start_with_the_public_key_string():
    result = run_python(KEY_PROBE, SECRET_KEY=PUBLIC_KEY)

    assert result.returncode != 0
    assert "SECRET_KEY is a public string" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_python(KEY_PROBE, DEBUG="0", REQUIRE_SECRET_KEY="1")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **PRODUCTION},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_mode_keeps_cookies_usable_over_plain_http():
    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS]))"
    )
    debug = run_python(code, DEBUG="1", SECRET_KEY="x" * 50)
    production = run_python(code, **PRODUCTION)

    assert json.loads(debug.stdout) == [False, False, False, 0]
    assert json.loads(production.stdout) == [True, True, True, 31536000]


def test_s3_links_are_presigned_and_the_policy_admits_their_origin():
    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "options = settings.STORAGES['default']['OPTIONS']; "
        "print(json.dumps([options['querystring_auth'], options['querystring_expire'], "
        "settings.CONTENT_SECURITY_POLICY['img-src']]))"
    )
    found = run_python(
        code,
        S3_BUCKET="decks",
        S3_ENDPOINT_URL="https://objects.example.net:9000/",
        SIGNED_URL_MAX_AGE_SECONDS="600",
    )

    assert json.loads(found.stdout) == [
        True,
        600,
        ["'self'", "data:", "https://objects.example.net:9000"],
    ]


def test_unsigned_s3_link_settings_stop_start_up():
    result = run_python(KEY_PROBE, S3_BUCKET="decks", S3_CUSTOM_DOMAIN="cdn.example.net")

    assert result.returncode != 0
    assert "S3_CUSTOM_DOMAIN is gone: media links are always presigned" in result.stderr

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
        "storage": "django.core.files.storage.FileSystemStorage",
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

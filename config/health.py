"""Health endpoints for load balancers and orchestrators: JSON, no authentication, cheap.

`/healthz`: the process is up and answers (touches nothing else). `/readyz`: the database,
the task queue's broker and the file storage answer; 503 names what is down. Details of a
failure go to the log, not to the anonymous caller.
"""

import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger("nanodeck.health")

REDIS_TIMEOUT_SECONDS = 2
STORAGE_PROBE = "readyz-probe"  # looked up, never written


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {name: _outcome(name, check) for name, check in CHECKS.items()}
    down = [name for name, outcome in checks.items() if outcome != "ok"]
    body = {"status": "unavailable" if down else "ready", "checks": checks}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)


def _outcome(name: str, check: Callable[[], None]) -> str:
    try:
        check()
    except Exception as exc:  # whatever a client library raises, the dependency is down
        logger.warning("readyz_down check=%s error=%s: %s", name, type(exc).__name__, exc)
        return "down"
    return "ok"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    """Redis when the cluster uses it; the ORM broker lives in the database checked above."""
    url = settings.Q_CLUSTER.get("redis")
    if url:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        with client:
            client.ping()
    else:
        _database()


def _storage() -> None:
    default_storage.exists(STORAGE_PROBE)


CHECKS = {"database": _database, "broker": _broker, "storage": _storage}

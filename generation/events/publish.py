"""The workers' side of live progress: after a page or batch change commits, one PUBLISH of
the batch id on CHANNEL wakes the event streams watching it (generation/events/feed.py).

Nothing is stored for it: the streams read the change itself from the database. Without
REDIS_URL nothing is sent (the streams poll). Redis trouble never fails the pipeline: the
failure is logged, publishing pauses for RETRY_AFTER_SECONDS, and the streams notice the
change on their next look at the database.
"""

from __future__ import annotations

import logging
import time
from functools import cache

import redis
from django.conf import settings
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger("nanodeck.events")
CHANNEL = "nanodeck:events"
RETRY_AFTER_SECONDS = 5.0
_paused_until: dict[str, float] = {}  # Redis URL -> when to try it again


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=0.2, socket_timeout=0.2)


def batch_changed(batch_id: object) -> None:
    """Wake the streams of `batch_id` once the current transaction commits (now, outside one)."""
    if settings.REDIS_URL:
        transaction.on_commit(lambda: publish(str(batch_id)))


def publish(batch_id: str) -> None:
    url = settings.REDIS_URL
    if time.monotonic() < _paused_until.get(url, 0.0):
        return
    try:
        _client(url).publish(CHANNEL, batch_id)
    except (RedisError, OSError) as exc:
        _paused_until[url] = time.monotonic() + RETRY_AFTER_SECONDS
        logger.warning("events_publish_failed batch=%s error=%s", batch_id, exc)

"""Waking a worker that waits for a provider slot as soon as another worker gives one back.

With Redis (REDIS_URL) a release pushes a token onto the provider's list and one waiter blocks
on that list (BLPOP), so a freed slot changes hands in about a millisecond instead of a poll
interval; a waiter still looks at the database at least every WAKE_TIMEOUT_SECONDS (a slot can
also free up by expiring, a rate window by passing). The list holds at most as many tokens as
the provider has slots, so releases nobody waited for cannot make later waiters spin.
Without Redis (SQLite and the ORM broker) waiters poll the database at a jittered interval.
Redis trouble never stops a call: the waiter falls back to polling.
"""

from __future__ import annotations

import logging
import random
import time
from functools import cache

import redis
from django.conf import settings
from redis.exceptions import RedisError

logger = logging.getLogger("nanodeck.providers")
POLL_SECONDS = (0.01, 0.03)  # jittered; a waiting worker only reads until a slot is free
WAKE_TIMEOUT_SECONDS = 0.25
TOKEN_TTL_SECONDS = 60


def _key(provider: str) -> str:
    return f"nanodeck:gate:{provider}:released"


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)


def _redis() -> redis.Redis | None:
    return _client(settings.REDIS_URL) if settings.REDIS_URL else None


def wait_for_release(provider: str) -> None:
    """Return when a slot of `provider` was given back, or after a short while."""
    client = _redis()
    if client is not None:
        try:
            client.blpop([_key(provider)], timeout=WAKE_TIMEOUT_SECONDS)
            return
        except RedisError as exc:
            logger.warning("gate_wake_unavailable provider=%s error=%s", provider, exc)
    time.sleep(random.uniform(*POLL_SECONDS))


def announce_release(provider: str, *, limit: int) -> None:
    """Tell one waiter (if any) that a slot of `provider` is free."""
    client = _redis()
    if client is None:
        return
    key = _key(provider)
    try:
        with client.pipeline(transaction=False) as pipe:
            pipe.lpush(key, 1).ltrim(key, 0, max(limit, 1) - 1).expire(key, TOKEN_TTL_SECONDS)
            pipe.execute()
    except RedisError as exc:
        logger.warning("gate_wake_unavailable provider=%s error=%s", provider, exc)

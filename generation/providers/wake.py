"""Waking a worker that waits for a provider slot as soon as another worker gives one back.

With Redis (REDIS_URL) a release pushes a token onto the provider's list and one waiter blocks
on that list (BLPOP), so a freed slot changes hands in about a millisecond instead of a poll
interval; a waiter still looks at the database at least every WAKE_TIMEOUT_SECONDS (a slot can
also free up by expiring, a rate window by passing). The list holds at most as many tokens as
the provider has slots, so releases nobody waited for cannot make later waiters spin.
Without Redis, on SQLite (every worker is on the machine that holds the database file) the
token goes through a named pipe of that machine instead (one per database file and provider,
in the temporary directory), with the same bound and the same timeout. Otherwise (PostgreSQL
without Redis, or no pipe to be had) waiters poll the database at a jittered interval. Redis
or pipe trouble never stops a call: the waiter falls back to polling.
"""

from __future__ import annotations

import array
import fcntl
import hashlib
import logging
import os
import random
import select
import stat
import tempfile
import termios
import time
from functools import cache
from pathlib import Path

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


def _pipe(name: str) -> int | None:
    """This process's end of the wake pipe `name` of this database: SQLite without Redis only."""
    database = settings.DATABASES["default"]
    if settings.REDIS_URL or database["ENGINE"] != "django.db.backends.sqlite3":
        return None
    digest = hashlib.sha256(f"{database['NAME']}:{name}".encode()).hexdigest()[:20]
    return _open_pipe(str(Path(tempfile.gettempdir()) / f"nanodeck-wake-{digest}"))


@cache
def _open_pipe(path: str) -> int | None:
    """The named pipe at `path`, made if missing, open for reading and writing without
    blocking (so that it stays open and a write never waits); None where there is none."""
    try:
        os.mkfifo(path, 0o600)
    except FileExistsError:
        pass
    except (OSError, AttributeError) as exc:  # AttributeError: a system without named pipes
        logger.warning("gate_wake_unavailable path=%s error=%s", path, exc)
        return None
    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    except OSError as exc:
        logger.warning("gate_wake_unavailable path=%s error=%s", path, exc)
        return None
    if not stat.S_ISFIFO(os.fstat(fd).st_mode):
        os.close(fd)
        logger.warning("gate_wake_unavailable path=%s error=not a named pipe", path)
        return None
    return fd


def _tokens(fd: int) -> int:
    """Bytes waiting in the pipe."""
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


def wait_for_release(provider: str) -> None:
    """Return when a slot of `provider` was given back, or after a short while."""
    client = _redis()
    if client is not None:
        try:
            client.blpop([_key(provider)], timeout=WAKE_TIMEOUT_SECONDS)
            return
        except RedisError as exc:
            logger.warning("gate_wake_unavailable provider=%s error=%s", provider, exc)
    if pipe_wait(provider, timeout=WAKE_TIMEOUT_SECONDS):
        return
    time.sleep(random.uniform(*POLL_SECONDS))


def announce_release(provider: str, *, limit: int) -> None:
    """Tell one waiter (if any) that a slot of `provider` is free."""
    client = _redis()
    if client is None:
        pipe_announce(provider, limit=limit)
        return
    key = _key(provider)
    try:
        with client.pipeline(transaction=False) as pipe:
            pipe.lpush(key, 1).ltrim(key, 0, max(limit, 1) - 1).expire(key, TOKEN_TTL_SECONDS)
            pipe.execute()
    except RedisError as exc:
        logger.warning("gate_wake_unavailable provider=%s error=%s", provider, exc)


def pipe_wait(name: str, *, timeout: float) -> bool:
    """Wait up to `timeout` for a token on the wake pipe `name` (SQLite without Redis); False
    at once when there is no pipe to wait on."""
    fd = _pipe(name)
    if fd is None:
        return False
    try:
        if select.select([fd], [], [], timeout)[0]:
            os.read(fd, 1)
    except BlockingIOError:  # another waiter took the token: look at the database anyway
        pass
    except OSError as exc:
        logger.warning("gate_wake_unavailable name=%s error=%s", name, exc)
        return False
    return True


def pipe_announce(name: str, *, limit: int) -> None:
    """Put a token on the wake pipe `name`, unless `limit` tokens wait there already."""
    fd = _pipe(name)
    if fd is None:
        return
    try:
        if _tokens(fd) < max(limit, 1):
            os.write(fd, b"1")
    except OSError as exc:  # BlockingIOError included: the pipe is full, waiters are awake
        logger.warning("gate_wake_unavailable name=%s error=%s", name, exc)

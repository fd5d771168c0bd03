"""Around every provider call: a slot among the provider's calls in flight (shared by all
workers through the database) and retries of transient errors with backoff."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from generation.models import ProviderCall, ProviderGate
from generation.providers.base import ProviderError

logger = logging.getLogger("nanodeck.providers")
T = TypeVar("T")
POLL_SECONDS = (0.02, 0.06)  # jittered; a waiting worker only reads until a slot is free
# A longer retry-after (a daily quota) fails the attempt instead of holding a worker.
MAX_WAIT_SECONDS = 60


def concurrency_limit(provider: str) -> int:
    config = settings.NANODECK
    return config["PROVIDER_CONCURRENCY"].get(provider, config["DEFAULT_PROVIDER_CONCURRENCY"])


def _live(provider: str, now) -> int:
    return ProviderCall.objects.filter(provider=provider, expires_at__gt=now).count()


def _try_take(provider: str, holder: str, limit: int) -> ProviderCall | None:
    now = timezone.now()
    # A plain read first: waiting workers must not queue for the write lock just to look.
    if _live(provider, now) >= limit:
        return None
    ProviderGate.objects.get_or_create(provider=provider)
    with transaction.atomic():
        ProviderGate.objects.select_for_update().get(provider=provider)
        if _live(provider, now) >= limit:
            return None
        expires = now + timedelta(seconds=settings.Q_CLUSTER["timeout"])
        return ProviderCall.objects.create(provider=provider, holder=holder, expires_at=expires)


@contextmanager
def provider_slot(provider: str, *, holder: str, checkpoint: Callable[[], None]) -> Iterator[None]:
    """Wait for one of the provider's slots; `checkpoint` runs while waiting (lease renewal)."""
    limit = concurrency_limit(provider)
    last_check = time.monotonic()
    while (call := _try_take(provider, holder, limit)) is None:
        if time.monotonic() - last_check > 10:
            checkpoint()
            last_check = time.monotonic()
        time.sleep(random.uniform(*POLL_SECONDS))
    try:
        yield
    finally:
        ProviderCall.objects.filter(pk=call.pk).delete()


def call_provider(
    provider: str,
    call: Callable[[], T],
    *,
    holder: str,
    checkpoint: Callable[[], None],
    gated: bool = True,
) -> T:
    """Run `call` in a provider slot; retry rate-limited and transient errors with backoff.

    The slot is given back while waiting, so a backing-off page never blocks other pages.
    `gated=False` skips the slot (the local planner's text calls: in-process and ~1 ms).
    """
    backoff = settings.NANODECK["TRANSIENT_BACKOFF"]
    tries = 0
    while True:
        try:
            if not gated:
                return call()
            with provider_slot(provider, holder=holder, checkpoint=checkpoint):
                return call()
        except ProviderError as exc:
            wait = (
                exc.retry_after
                if exc.retry_after is not None
                else backoff[min(tries, len(backoff) - 1)]
            )
            if not exc.retryable or tries >= len(backoff) or wait > MAX_WAIT_SECONDS:
                raise
            tries += 1
            logger.warning(
                "provider_retry provider=%s kind=%s try=%s wait_s=%s message=%s",
                provider,
                exc.kind,
                tries,
                wait,
                exc.message,
            )
            time.sleep(wait)
            checkpoint()

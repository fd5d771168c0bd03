"""Around every provider call, shared by all workers through the database: a slot among the
provider's calls in flight, its requests-per-minute window, its circuit breaker, and retries
of transient errors with backoff."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from generation.errors import ProviderWaiting
from generation.models import ProviderCall, ProviderGate
from generation.providers.base import ErrorKind, ProviderError
from generation.providers.wake import announce_release, wait_for_release

logger = logging.getLogger("nanodeck.providers")
T = TypeVar("T")
# A longer retry-after (a daily quota) fails the attempt instead of holding a worker.
MAX_WAIT_SECONDS = 60
RELEASE_TRIES = 5  # a refused slot release is tried again after 0.02, 0.04, … s
RELEASE_BACKOFF_SECONDS = 0.02


def concurrency_limit(provider: str) -> int:
    config = settings.NANODECK
    return config["PROVIDER_CONCURRENCY"].get(provider, config["DEFAULT_PROVIDER_CONCURRENCY"])


def _live(provider: str, now: datetime, *, reserved: bool = True) -> int:
    """Calls in flight, and (`reserved`) the slots held for hedged duplicates."""
    rows = ProviderCall.objects.filter(provider=provider, expires_at__gt=now)
    return (rows if reserved else rows.filter(reserved=False)).count()


def _breaker_allows(gate: ProviderGate, now: datetime) -> bool:
    """Closed: yes. Open: no. Cooled down (half-open): one caller becomes the probe."""
    if gate.open_until is None:
        return False
    if gate.open_until > now or (gate.probe_until and gate.probe_until > now):
        raise ProviderWaiting(gate.provider, until=max(gate.open_until, gate.probe_until or now))
    gate.probe_until = now + timedelta(seconds=settings.Q_CLUSTER["timeout"])
    return True


def _rate_allows(gate: ProviderGate, now: datetime) -> bool:
    rpm = settings.NANODECK["PROVIDER_RPM"].get(gate.provider)
    if not rpm:
        return True
    window = timedelta(seconds=settings.NANODECK["RATE_WINDOW_SECONDS"])
    if gate.window_start is None or now - gate.window_start >= window:
        gate.window_start, gate.window_count = now, 0
    if gate.window_count >= rpm:
        return False
    gate.window_count += 1
    return True


def _locked_gate(provider: str) -> ProviderGate:
    """The provider's gate row under a row lock, made on its first use."""
    try:
        return ProviderGate.objects.select_for_update().get(provider=provider)
    except ProviderGate.DoesNotExist:
        ProviderGate.objects.get_or_create(provider=provider)  # a racing maker's row is fine
        return ProviderGate.objects.select_for_update().get(provider=provider)


@contextmanager
def _slot_transaction() -> Iterator[None]:
    """A transaction over the provider's slot rows. On PostgreSQL, as the outermost
    transaction, its commit does not wait for the WAL to reach the disk (`synchronous_commit
    off`: ~4 ms a commit here, twice on each hand-over of a slot, a release and the next take).
    Other sessions see it at once and a killed worker loses nothing; a crash of the database
    server itself may forget the last fraction of a second of takes and releases, as SQLite's
    synchronous=NORMAL may forget any commit, and the database stays consistent. A slot row
    is coordination that expires anyway, not a record."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _try_take(
    provider: str, holder: str, limit: int, reservation: int | None = None
) -> tuple[ProviderCall, bool] | None:
    """A slot (and whether this call is the circuit's half-open probe), or None to wait.
    A call with a `reservation` does not count the reserved slots: it takes one of them."""
    now = timezone.now()
    counted = reservation is None
    # A plain read first: waiting workers must not queue for the write lock just to look.
    if _live(provider, now, reserved=counted) >= limit:
        return None
    with _slot_transaction():
        gate = _locked_gate(provider)
        before = (gate.probe_until, gate.window_start, gate.window_count)
        probe = _breaker_allows(gate, now)
        if _live(provider, now, reserved=counted) >= limit or not _rate_allows(gate, now):
            return None
        if (gate.probe_until, gate.window_start, gate.window_count) != before:
            gate.save(update_fields=["probe_until", "window_start", "window_count"])
        if reservation is not None:
            ProviderCall.objects.filter(pk=reservation).delete()
        expires = now + timedelta(seconds=settings.Q_CLUSTER["timeout"])
        return ProviderCall.objects.create(
            provider=provider, holder=holder, expires_at=expires
        ), probe


@dataclass(frozen=True)
class Slot:
    """One of a provider's calls in flight (a ProviderCall row); `probe`: the half-open probe."""

    provider: str
    call_id: int
    probe: bool


def slot_try(provider: str, *, holder: str, reservation: int | None = None) -> Slot | None:
    """A slot now, or None when the provider is at its concurrency or rate limit. Raises
    ProviderWaiting while the provider's circuit is open. With a `reservation` (slot_reserve)
    the reserved slots do not count against this call, and the reservation is used up."""
    taken = _try_take(provider, holder, concurrency_limit(provider), reservation)
    if taken is None:
        return None
    call, probe = taken
    return Slot(provider=provider, call_id=call.pk, probe=probe)


def slot_take(provider: str, *, holder: str, checkpoint: Callable[[], None]) -> Slot:
    """Wait for a slot; `checkpoint` runs every 10 s while waiting (lease renewal).
    Raises ProviderWaiting at once while the provider's circuit is open."""
    last_check = time.monotonic()
    while (slot := slot_try(provider, holder=holder)) is None:
        if time.monotonic() - last_check > 10:
            checkpoint()
            last_check = time.monotonic()
        wait_for_release(provider)
    return slot


def slot_release(slot: Slot) -> None:
    """Give the slot back. A delete the database refuses for a moment (SQLite's "database
    table is locked", which its busy timeout does not wait out) is tried again, up to
    RELEASE_TRIES times: a slot not given back would count against the provider until it
    expires (Q_CLUSTER's timeout)."""
    for tries in range(1, RELEASE_TRIES + 1):
        try:
            with _slot_transaction():  # inside a caller's transaction: a savepoint to retry from
                ProviderCall.objects.filter(pk=slot.call_id).delete()
            break
        except OperationalError as exc:
            if tries == RELEASE_TRIES:
                logger.error(
                    "slot_release_failed provider=%s call=%s tries=%s error=%s",
                    slot.provider,
                    slot.call_id,
                    tries,
                    exc,
                )
                raise
            logger.warning(
                "slot_release_retry provider=%s call=%s try=%s error=%s",
                slot.provider,
                slot.call_id,
                tries,
                exc,
            )
            time.sleep(RELEASE_BACKOFF_SECONDS * tries)
    announce_release(slot.provider, limit=concurrency_limit(slot.provider))


def slot_reserve(provider: str, *, holder: str) -> int:
    """Hold the provider's next free slot for a hedged duplicate: other calls count the
    reservation as a call in flight, the duplicate (slot_try with it) does not. Never more
    calls than the limit: only a slot that is free can be taken. Give it back with
    slot_unreserve when the duplicate will not be sent."""
    expires = timezone.now() + timedelta(seconds=settings.Q_CLUSTER["timeout"])
    row = ProviderCall.objects.create(
        provider=provider, holder=holder, expires_at=expires, reserved=True
    )
    return row.pk


def slot_unreserve(provider: str, reservation: int) -> None:
    if ProviderCall.objects.filter(pk=reservation, reserved=True).delete()[0]:
        announce_release(provider, limit=concurrency_limit(provider))


@contextmanager
def provider_slot(provider: str, *, holder: str, checkpoint: Callable[[], None]) -> Iterator[bool]:
    """Hold one of the provider's slots (calls in flight and requests per minute) while the
    block runs, waiting for it first (see slot_take). Yields True for a half-open probe."""
    slot = slot_take(provider, holder=holder, checkpoint=checkpoint)
    try:
        yield slot.probe
    finally:
        slot_release(slot)


def record_outcome(provider: str, *, failed: bool, probe: bool) -> None:
    """Count consecutive transient failures; open the circuit after too many (or when the
    half-open probe fails); close it on any answer that is not a transient failure."""
    if not failed:
        tripped = ProviderGate.objects.filter(provider=provider).exclude(
            failures=0, open_until__isnull=True
        )
        # Looked at first: the usual closed circuit with no failure is left unwritten (an
        # UPDATE matching nothing still took SQLite's write lock, right when a waiting worker
        # wants it to take the slot just released). A failure recorded after the look is
        # after this success, as it would be after an UPDATE made then.
        if tripped.exists():
            tripped.update(failures=0, open_until=None, probe_until=None)
        return
    config = settings.NANODECK
    with transaction.atomic():
        gate = ProviderGate.objects.select_for_update().get(provider=provider)
        gate.failures += 1
        if probe or gate.failures >= config["CIRCUIT_FAILURES"]:
            gate.open_until = timezone.now() + timedelta(seconds=config["CIRCUIT_COOLDOWN_SECONDS"])
            gate.probe_until = None
            logger.warning(
                "circuit_open provider=%s failures=%s until=%s",
                provider,
                gate.failures,
                gate.open_until,
            )
        gate.save(update_fields=["failures", "open_until", "probe_until"])


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

    def once() -> T:
        if not gated:
            return call()
        # The outcome is recorded once the slot is given back: a waiting worker's call need
        # not wait for the circuit breaker's write.
        failure: ProviderError | None = None
        with provider_slot(provider, holder=holder, checkpoint=checkpoint) as probe:
            try:
                result = call()
            except ProviderError as exc:
                failure = exc
        transient = failure is not None and failure.kind == ErrorKind.TRANSIENT
        record_outcome(provider, failed=transient, probe=probe)
        if failure is not None:
            raise failure
        return result

    return with_retries(provider, once, checkpoint=checkpoint)


def with_retries(provider: str, once: Callable[[], T], *, checkpoint: Callable[[], None]) -> T:
    """Run `once` again after a rate-limited or transient error, with backoff (or the
    provider's retry-after, up to MAX_WAIT_SECONDS)."""
    backoff = settings.NANODECK["TRANSIENT_BACKOFF"]
    tries = 0
    while True:
        try:
            return once()
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

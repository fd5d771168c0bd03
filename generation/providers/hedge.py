"""Hedged provider calls: when a call has run longer than a high quantile of the provider's
recent call times, one duplicate call starts in a slot of its own, and the first good answer
wins.

Each call runs in a thread that holds its slot (generation/providers/gate.py) until the call
ends. The duplicate never goes beyond the provider's concurrency or rate limit (nor starts while
its circuit is open), but from the moment it is due the provider's next free slot is reserved
for it: pages that have not started their calls yet do not take that slot first (they are woken
by a release at once, while the duplicate looks every HEDGE_POLL_SECONDS), so a stuck call on
a deck's critical path gets its duplicate as soon as any call of the provider ends. The
loser is told to stop (`cancel`); a provider that cannot stop runs to the end, its answer is
discarded, and its thread gives the slot back then. At most one duplicate per attempt, retries
of the attempt included.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import OperationalError, connection

from generation.errors import ProviderWaiting
from generation.providers.base import ErrorKind, ProviderError
from generation.providers.gate import (
    Slot,
    record_outcome,
    slot_release,
    slot_reserve,
    slot_take,
    slot_try,
    slot_unreserve,
    with_retries,
)

logger = logging.getLogger("nanodeck.providers")
T = TypeVar("T")
HEDGE_POLL_SECONDS = 0.02  # how often a due duplicate asks for its reserved slot
CHECKPOINT_SECONDS = 10  # lease renewal while a page waits for its calls


@dataclass
class Hedge:
    """One attempt's hedging: when to start the duplicate, and what happened."""

    after: float  # seconds the first call may run before the duplicate starts
    started: bool = False  # a duplicate call was sent (at most one per attempt)
    won: bool = False  # the duplicate's answer is the one used
    call_ms: int = 0  # from the first call's start to the answer used


@dataclass
class _Outcome(Generic[T]):
    call: _Call
    result: T | None = None
    error: Exception | None = None


class _Call:
    """One provider call in its own thread, holding `slot` until it ends."""

    def __init__(self, race: _Race, slot: Slot, make: Callable[[threading.Event], T]) -> None:
        self.race, self.slot, self.make = race, slot, make
        self.cancel = threading.Event()
        threading.Thread(target=self._run, daemon=True, name=f"provider-{slot.call_id}").start()

    def _run(self) -> None:
        outcome = _Outcome(call=self)
        try:
            outcome.result = self.make(self.cancel)
        except Exception as exc:  # handed to the waiting page, which decides
            outcome.error = exc
        try:
            if not self.race.deliver(outcome):  # the race is over: nobody waits for this answer
                slot_release(self.slot)
        finally:
            connection.close()  # this thread's own, if the call or the release opened one


class _Race:
    """The calls of one attempt and their answers, in the order they arrive."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: queue.Queue[_Outcome] = queue.Queue()
        self.calls: list[_Call] = []
        self.over = False
        self.reservation: int | None = None  # a slot held for the duplicate

    def start(self, slot: Slot, make: Callable[[threading.Event], T]) -> None:
        self.calls.append(_Call(self, slot, make))

    def deliver(self, outcome: _Outcome) -> bool:
        with self.lock:
            if not self.over:
                self.answers.put(outcome)
            return not self.over

    def next(self, timeout: float) -> _Outcome | None:
        try:
            return self.answers.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def end(self) -> None:
        """Stop the calls still running (each gives its slot back when it ends) and give
        back the slots of answers that arrived but were not taken."""
        with self.lock:
            self.over = True
        if self.reservation is not None:
            slot_unreserve(self.calls[0].slot.provider, self.reservation)
        for call in self.calls:
            call.cancel.set()
        while (outcome := self.next(0)) is not None:
            slot_release(outcome.call.slot)


def hedged_call(
    provider: str,
    make: Callable[[threading.Event], T],
    *,
    holder: str,
    checkpoint: Callable[[], None],
    hedge: Hedge,
) -> T:
    """`make(cancel)` under the provider's limits, hedged as `hedge` says; retried like
    call_provider's calls. Fills in `hedge` (started, won, call_ms)."""

    def once() -> T:
        race = _Race()
        race.start(slot_take(provider, holder=holder, checkpoint=checkpoint), make)
        try:
            return _first_good(race, provider, holder=holder, checkpoint=checkpoint, hedge=hedge)
        finally:
            race.end()

    return with_retries(provider, once, checkpoint=checkpoint)


def _first_good(
    race: _Race, provider: str, *, holder: str, checkpoint: Callable[[], None], hedge: Hedge
) -> T:
    started = last_check = time.monotonic()
    waiting = 1
    while True:
        now = time.monotonic()
        due = not hedge.started and now - started >= hedge.after
        if hedge.started:
            wait = CHECKPOINT_SECONDS
        else:  # until the duplicate is due, then ask for a slot every HEDGE_POLL_SECONDS
            wait = HEDGE_POLL_SECONDS if due else started + hedge.after - now
        outcome = race.next(min(wait, CHECKPOINT_SECONDS))
        if outcome is None:
            if time.monotonic() - last_check >= CHECKPOINT_SECONDS:
                checkpoint()
                last_check = time.monotonic()
            if due and _start_duplicate(race, provider, holder=holder):
                hedge.started, waiting = True, waiting + 1
                logger.info("hedge_started provider=%s after_s=%.2f", provider, hedge.after)
            continue
        waiting -= 1
        _settle(provider, outcome)
        if outcome.error is None:
            hedge.won = outcome.call is not race.calls[0]
            hedge.call_ms = round((time.monotonic() - started) * 1000)
            return outcome.result
        if not isinstance(outcome.error, ProviderError) or not waiting:
            raise outcome.error


def _start_duplicate(race: _Race, provider: str, *, holder: str) -> bool:
    """Send the duplicate if a slot is free now; until then hold the next one for it.
    A database that refuses the gate's queries for a moment (SQLite: "database table is
    locked") only means no duplicate yet: it is asked for again at the next poll, while the
    first call goes on."""
    try:
        if race.reservation is None:
            race.reservation = slot_reserve(provider, holder=holder)
        slot = slot_try(provider, holder=holder, reservation=race.reservation)
    except ProviderWaiting:  # the circuit opened meanwhile: no new call
        return False
    except OperationalError as exc:
        logger.warning("hedge_slot_retry provider=%s error=%s", provider, exc)
        return False
    if slot is None:
        return False
    race.reservation = None  # used up by the slot
    race.start(slot, race.calls[0].make)
    return True


def _settle(provider: str, outcome: _Outcome) -> None:
    """Give the answered call's slot back and tell the circuit breaker how it went."""
    slot_release(outcome.call.slot)
    if outcome.error is None:
        record_outcome(provider, failed=False, probe=outcome.call.slot.probe)
    elif isinstance(outcome.error, ProviderError):
        failed = outcome.error.kind == ErrorKind.TRANSIENT
        record_outcome(provider, failed=failed, probe=outcome.call.slot.probe)

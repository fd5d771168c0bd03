"""Hedged provider calls: one duplicate after the delay, in a free slot only, first good
answer wins, the loser is told to stop and gives its slot back."""

import threading
import time

import pytest
from django.db import OperationalError, connection
from django.db.backends.signals import connection_created

from generation.models import ProviderCall
from generation.providers.base import ErrorKind, ProviderError
from generation.providers.gate import slot_try
from generation.providers.hedge import Hedge, hedged_call
from tests.db_faults import RefusedDeletes

pytestmark = pytest.mark.django_db(transaction=True)  # the calls run in threads


@pytest.fixture(autouse=True)
def limits(settings):
    settings.NANODECK = {
        **settings.NANODECK,
        "PROVIDER_CONCURRENCY": {"remote": 4},
        "PROVIDER_RPM": {},
        "TRANSIENT_BACKOFF": [0.0],
    }


@pytest.fixture(autouse=True)
def calls_ended():
    """After each test, its calls' threads have ended: a losing call still giving its slot
    back would write while the test database is being flushed ("table is locked")."""
    yield
    for thread in threading.enumerate():
        if thread.name.startswith("provider-"):
            thread.join(timeout=10)


class Calls:
    """A fake provider call: the n-th call (0, 1, …) waits `waits[n]` seconds (or until it is
    cancelled) and answers `call-n`, or raises `errors[n]`."""

    def __init__(self, *waits: float, errors: dict | None = None) -> None:
        self.waits, self.errors = waits, errors or {}
        self.started: list[threading.Event] = []
        self.lock = threading.Lock()

    def __call__(self, cancel: threading.Event) -> str:
        with self.lock:
            n = len(self.started)
            self.started.append(cancel)
        cancelled = cancel.wait(self.waits[n])
        if n in self.errors:
            raise self.errors[n]
        return f"call-{n}" + (" (cancelled)" if cancelled else "")


def later(seconds: float, *steps) -> None:
    """Run each step in a timer thread after `seconds`, each tried again while the in-memory
    test database refuses it ("database table is locked": the calls' threads write too)."""

    def run_steps() -> None:
        for step in steps:
            for _ in range(100):
                try:
                    step()
                    break
                except OperationalError:
                    time.sleep(0.01)
        connection.close()

    threading.Timer(seconds, run_steps).start()


def run(calls: Calls, after: float, provider: str = "remote") -> tuple[str, Hedge, float]:
    hedge = Hedge(after=after)
    started = time.monotonic()
    result = hedged_call(provider, calls, holder="test", checkpoint=lambda: None, hedge=hedge)
    return result, hedge, time.monotonic() - started


def slots_given_back(provider: str = "remote") -> bool:
    deadline = time.monotonic() + 2
    while ProviderCall.objects.filter(provider=provider).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_call_faster_than_the_delay_gets_no_duplicate():
    calls = Calls(0.05)

    result, hedge, _ = run(calls, after=0.5)

    assert (result, hedge.started, hedge.won) == ("call-0", False, False)
    assert len(calls.started) == 1
    assert 40 <= hedge.call_ms < 500
    assert slots_given_back()


def test_a_call_slower_than_the_delay_gets_a_duplicate_whose_first_answer_wins():
    calls = Calls(10.0, 0.05)

    result, hedge, elapsed = run(calls, after=0.1)

    assert (result, hedge.started, hedge.won) == ("call-1", True, True)
    assert elapsed < 1.5
    assert 140 <= hedge.call_ms < 1500
    assert calls.started[0].is_set()  # the slow call was told to stop
    assert slots_given_back()  # and its thread gave its slot back


def test_the_first_call_still_wins_when_it_answers_before_its_duplicate():
    calls = Calls(2.0, 10.0)  # room for the duplicate to start on a loaded machine

    result, hedge, _ = run(calls, after=0.05)

    assert (result, hedge.started, hedge.won) == ("call-0", True, False)
    assert calls.started[1].is_set()
    assert slots_given_back()


def test_there_is_at_most_one_duplicate_per_attempt():
    calls = Calls(1.0, 1.0, 1.0)

    run(calls, after=0.05)

    assert len(calls.started) == 2


def test_a_failed_duplicate_leaves_the_first_call_to_answer():
    refused = ProviderError(ErrorKind.CONTENT_BLOCKED, "blocked")
    calls = Calls(0.8, 0.01, errors={1: refused})

    result, hedge, _ = run(calls, after=0.05)

    assert (result, hedge.started, hedge.won) == ("call-0", True, False)
    assert slots_given_back()


def test_when_both_calls_fail_the_error_is_raised_and_retries_send_no_second_duplicate():
    down = ProviderError(ErrorKind.TRANSIENT, "503")
    calls = Calls(0.8, 0.01, 0.3, 0.3, errors={0: down, 1: down, 2: down})

    with pytest.raises(ProviderError):
        run(calls, after=0.05)

    assert len(calls.started) == 3  # a duplicate, then one retry (TRANSIENT_BACKOFF) alone
    assert slots_given_back()


def test_no_duplicate_while_the_provider_has_no_free_slot(settings):
    settings.NANODECK = {**settings.NANODECK, "PROVIDER_CONCURRENCY": {"remote": 1}}
    calls = Calls(0.4, 0.01)

    result, hedge, _ = run(calls, after=0.05)

    assert (result, hedge.started) == ("call-0", False)
    assert len(calls.started) == 1
    assert slots_given_back()  # the slot held for the duplicate too


def test_no_duplicate_once_the_requests_per_minute_are_spent(settings):
    settings.NANODECK = {**settings.NANODECK, "PROVIDER_RPM": {"remote": 1}}
    calls = Calls(0.4, 0.01)

    result, hedge, _ = run(calls, after=0.05)

    assert (result, hedge.started) == ("call-0", False)
    assert len(calls.started) == 1


def test_a_duplicate_starts_as_soon_as_a_slot_frees_up(settings):
    settings.NANODECK = {**settings.NANODECK, "PROVIDER_CONCURRENCY": {"remote": 2}}
    other = ProviderCall.objects.create(
        provider="remote", holder="other page", expires_at="2999-01-01T00:00Z"
    )

    later(0.3, ProviderCall.objects.filter(pk=other.pk).delete)
    calls = Calls(10.0, 0.05)

    result, hedge, elapsed = run(calls, after=0.05)

    assert (result, hedge.won) == ("call-1", True)
    assert 0.3 <= elapsed < 1.5


def test_a_due_duplicate_takes_the_next_free_slot_before_calls_not_started_yet(settings):
    settings.NANODECK = {**settings.NANODECK, "PROVIDER_CONCURRENCY": {"remote": 2}}
    other = ProviderCall.objects.create(
        provider="remote", holder="other page", expires_at="2999-01-01T00:00Z"
    )
    newcomer = []

    later(
        0.3,
        ProviderCall.objects.filter(pk=other.pk).delete,
        lambda: newcomer.append(slot_try("remote", holder="page not started")),
    )
    calls = Calls(10.0, 0.05)

    result, hedge, _ = run(calls, after=0.05)

    assert newcomer == [None]  # the freed slot was held for the duplicate
    assert (result, hedge.won) == ("call-1", True)
    assert slots_given_back()


def test_a_duplicate_holds_the_next_free_slot_from_the_moment_it_is_due(settings):
    # Freed 0.15 s after the duplicate became due (well before twice the delay): a page that
    # had not started its call and asks at once still does not get that slot.
    settings.NANODECK = {**settings.NANODECK, "PROVIDER_CONCURRENCY": {"remote": 2}}
    other = ProviderCall.objects.create(
        provider="remote", holder="other page", expires_at="2999-01-01T00:00Z"
    )
    newcomer = []

    later(
        0.65,
        ProviderCall.objects.filter(pk=other.pk).delete,
        lambda: newcomer.append(slot_try("remote", holder="page not started")),
    )
    calls = Calls(10.0, 0.05)

    result, hedge, elapsed = run(calls, after=0.5)

    assert newcomer == [None]
    assert (result, hedge.won) == ("call-1", True)
    assert 0.65 <= elapsed < 2.0
    assert slots_given_back()


def test_a_losing_call_whose_release_the_database_refuses_once_still_gives_its_slot_back(caplog):
    refused = RefusedDeletes(1)

    def refuse_in_call_threads(sender, connection, **kwargs) -> None:
        if threading.current_thread().name.startswith("provider-"):
            connection.execute_wrappers.append(refused)

    connection_created.connect(refuse_in_call_threads)
    try:
        result, hedge, _ = run(Calls(10.0, 0.05), after=0.1)
        assert (result, hedge.won) == ("call-1", True)
        assert slots_given_back()  # the loser's thread gave its slot back at the second try
    finally:
        connection_created.disconnect(refuse_in_call_threads)
    assert refused.times == 0
    assert "slot_release_retry provider=remote" in caplog.text


def test_a_due_duplicate_whose_slot_query_is_refused_once_asks_again_and_starts(caplog):
    calls = Calls(10.0, 0.05)
    # Refused once while only the first call runs: the duplicate's first look at the gate.
    refused = RefusedDeletes(1, statement="SELECT COUNT", now=lambda: len(calls.started) == 1)

    with connection.execute_wrapper(refused):
        result, hedge, elapsed = run(calls, after=0.1)

    assert refused.times == 0
    assert (result, hedge.won) == ("call-1", True)
    assert elapsed < 1.5
    assert "hedge_slot_retry provider=remote" in caplog.text
    assert slots_given_back()

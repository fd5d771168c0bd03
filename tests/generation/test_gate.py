"""The provider gate: circuit breaker (open, half-open, close) and requests per minute."""

import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from generation.errors import ProviderWaiting
from generation.models import Page, ProviderCall, ProviderGate, StepRun
from generation.providers.base import ErrorKind, ProviderError
from generation.providers.gate import (
    RELEASE_TRIES,
    call_provider,
    record_outcome,
    slot_release,
    slot_try,
)
from generation.selectors import batch_progress
from generation.services.batches import batch_plan
from generation.services.pages import page_run
from generation.services.sweeper import sweep
from tests.db_faults import RefusedDeletes
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast(settings):
    settings.NANODECK = {
        **settings.NANODECK,
        "TRANSIENT_BACKOFF": [0.0],
        "CIRCUIT_FAILURES": 3,
        "CIRCUIT_COOLDOWN_SECONDS": 30,
    }


def call(provider: str, outcome) -> object:
    return call_provider(provider, outcome, holder="test", checkpoint=lambda: None)


def down():
    raise ProviderError(ErrorKind.TRANSIENT, "503 Service Unavailable")


def up():
    return "image"


def fail_until_open(provider: str) -> None:
    for _ in range(2):  # each call tries twice (one backoff step): 4 failures > 3
        with pytest.raises((ProviderError, ProviderWaiting)):
            call(provider, down)


def test_consecutive_transient_failures_open_the_circuit_and_calls_wait_without_trying():
    fail_until_open("remote")
    tried = []

    with pytest.raises(ProviderWaiting) as waiting:
        call("remote", lambda: tried.append(1))

    assert tried == []
    assert waiting.value.provider == "remote"
    assert waiting.value.until > timezone.now() + timedelta(seconds=20)


def test_after_the_cooldown_one_probe_closes_the_circuit_on_success():
    fail_until_open("remote")
    ProviderGate.objects.filter(provider="remote").update(
        open_until=timezone.now() - timedelta(seconds=1)
    )

    assert call("remote", up) == "image"

    gate = ProviderGate.objects.get(provider="remote")
    assert (gate.failures, gate.open_until, gate.probe_until) == (0, None, None)


def test_a_failed_probe_opens_the_circuit_again():
    fail_until_open("remote")
    ProviderGate.objects.filter(provider="remote").update(
        open_until=timezone.now() - timedelta(seconds=1)
    )

    with pytest.raises((ProviderError, ProviderWaiting)):
        call("remote", down)

    assert ProviderGate.objects.get(provider="remote").open_until > timezone.now()


def test_while_a_probe_is_in_flight_other_calls_wait():
    fail_until_open("remote")
    ProviderGate.objects.filter(provider="remote").update(
        open_until=timezone.now() - timedelta(seconds=1),
        probe_until=timezone.now() + timedelta(seconds=60),
    )

    with pytest.raises(ProviderWaiting):
        call("remote", up)


def test_a_success_after_a_failure_resets_the_count():
    with pytest.raises(ProviderError):
        call_provider("remote", down, holder="test", checkpoint=lambda: None)
    assert ProviderGate.objects.get(provider="remote").failures == 2  # one backoff step

    record_outcome("remote", failed=False, probe=False)

    assert ProviderGate.objects.get(provider="remote").failures == 0


def test_a_success_with_nothing_to_reset_writes_nothing():
    assert call("remote", up) == "image"  # the gate's row exists, closed, no failure

    with CaptureQueriesContext(connection) as queries:
        record_outcome("remote", failed=False, probe=False)

    assert [q["sql"].split()[0].upper() for q in queries] == ["SELECT"]


def test_answers_that_are_not_transient_do_not_open_the_circuit():
    def refused():
        raise ProviderError(ErrorKind.CONTENT_BLOCKED, "IMAGE_SAFETY")

    for _ in range(5):
        with pytest.raises(ProviderError):
            call("remote", refused)

    assert call("remote", up) == "image"


def test_a_page_whose_provider_is_down_waits_in_the_queue_without_burning_attempts(settings):
    settings.NANODECK = {**settings.NANODECK, "TRANSIENT_BACKOFF": [0.0], "CIRCUIT_FAILURES": 1}
    batch = batch_plan(batch=make_batch())
    page = batch.pages.first()
    ProviderGate.objects.create(
        provider="local", failures=1, open_until=timezone.now() + timedelta(seconds=30)
    )

    page_run(page=page)

    page.refresh_from_db()
    assert (page.status, page.waiting_for) == ("pending", "local")
    assert not StepRun.objects.filter(page=page, step="render").exists()
    assert batch_progress(batch=batch)["waiting_for_provider"] == 1
    batch.pages.update(queued_at=timezone.now())  # every other page's task is fresh in the queue
    assert sweep()["requeued_pending"] == 0  # not before the circuit cools down
    Page.objects.filter(pk=page.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    ProviderGate.objects.filter(provider="local").update(
        open_until=timezone.now() - timedelta(seconds=1)
    )
    assert sweep()["requeued_pending"] == 1


def test_requests_per_minute_are_shared_and_the_next_call_waits_for_the_window(settings):
    settings.NANODECK = {
        **settings.NANODECK,
        "PROVIDER_RPM": {"remote": 2},
        "RATE_WINDOW_SECONDS": 1,
    }
    started = time.monotonic()

    for _ in range(3):
        call("remote", up)

    assert time.monotonic() - started >= 0.9
    assert ProviderGate.objects.get(provider="remote").window_count == 1


def test_a_release_the_database_refuses_once_still_gives_the_slot_back(settings, caplog):
    settings.NANODECK = {**settings.NANODECK, "PROVIDER_CONCURRENCY": {"remote": 1}}
    slot = slot_try("remote", holder="page 1")

    with connection.execute_wrapper(RefusedDeletes(1)):
        slot_release(slot)

    assert not ProviderCall.objects.exists()
    assert slot_try("remote", holder="page 2") is not None  # not held until it expires
    assert "slot_release_retry provider=remote" in caplog.text


def test_a_release_refused_every_time_fails_loudly_after_a_bounded_number_of_tries(
    settings, caplog
):
    settings.NANODECK = {**settings.NANODECK, "PROVIDER_CONCURRENCY": {"remote": 1}}
    slot = slot_try("remote", holder="page 1")
    refused = RefusedDeletes(RELEASE_TRIES)

    with connection.execute_wrapper(refused), pytest.raises(OperationalError):
        slot_release(slot)

    assert refused.times == 0
    assert "slot_release_failed provider=remote" in caplog.text
    slot_release(slot)  # the database answers again
    assert not ProviderCall.objects.exists()


UNFLUSHED = "SET LOCAL synchronous_commit TO OFF"


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_slot_changes_hands_without_waiting_for_the_disk():
    """A slot's take and release commit without waiting for the WAL flush (twice a hand-over);
    inside a caller's transaction they leave that transaction's commit as it is."""
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    with CaptureQueriesContext(connection) as queries:
        slot = slot_try("local", holder="w1")
        slot_release(slot)

    assert [q["sql"] for q in queries].count(UNFLUSHED) == 2
    assert not ProviderCall.objects.exists()

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        slot_release(slot_try("local", holder="w1"))

    assert UNFLUSHED not in [q["sql"] for q in queries]

"""A worker waiting for a provider slot wakes when another gives one back (Redis, or on SQLite
without Redis a named pipe of the machine), and waits by polling when there is neither or
they fail."""

import threading
import time
import uuid

import pytest
import redis
from django.db import connection

from generation.models import ProviderCall
from generation.providers.gate import provider_slot
from generation.providers.wake import (
    WAKE_TIMEOUT_SECONDS,
    announce_release,
    wait_for_release,
)
from tests.stacks import REDIS_URL

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def with_redis(settings):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {exc}")
    settings.REDIS_URL = REDIS_URL
    return redis.Redis.from_url(REDIS_URL)


@pytest.fixture
def provider() -> str:
    return f"wake-{uuid.uuid4().hex[:8]}"


def seconds(call) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


def test_a_release_wakes_a_waiter_at_once(with_redis, provider):
    announce_release(provider, limit=4)

    assert seconds(lambda: wait_for_release(provider)) < WAKE_TIMEOUT_SECONDS / 2


def test_without_a_release_a_waiter_looks_again_after_the_timeout(with_redis, provider):
    waited = seconds(lambda: wait_for_release(provider))

    assert WAKE_TIMEOUT_SECONDS * 0.9 <= waited < WAKE_TIMEOUT_SECONDS * 4


def test_releases_nobody_waited_for_keep_at_most_one_token_per_slot(with_redis, provider):
    for _ in range(5):
        announce_release(provider, limit=2)

    assert with_redis.llen(f"nanodeck:gate:{provider}:released") == 2
    assert 0 < with_redis.ttl(f"nanodeck:gate:{provider}:released") <= 60


@pytest.fixture
def sqlite_pipe(settings, tmp_path, monkeypatch):
    """SQLite without Redis, the pipes in a folder of the test's own."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the named pipe is SQLite's wake")
    settings.REDIS_URL = ""
    monkeypatch.setattr("generation.providers.wake.tempfile.gettempdir", lambda: str(tmp_path))
    return tmp_path


def test_without_redis_and_without_a_pipe_a_waiter_polls_and_a_release_tells_nobody(
    settings, provider, tmp_path, monkeypatch, caplog
):
    settings.REDIS_URL = ""
    gone = tmp_path / "no-such-folder"  # no pipe can be made there (nor on PostgreSQL at all)
    monkeypatch.setattr("generation.providers.wake.tempfile.gettempdir", lambda: str(gone))
    announce_release(provider, limit=1)

    assert seconds(lambda: wait_for_release(provider)) < 0.2
    assert not gone.exists()


def test_on_sqlite_without_redis_a_release_wakes_a_waiter_through_a_pipe(sqlite_pipe, provider):
    announce_release(provider, limit=4)

    assert seconds(lambda: wait_for_release(provider)) < WAKE_TIMEOUT_SECONDS / 2
    assert [path.name[:14] for path in sqlite_pipe.iterdir()] == ["nanodeck-wake-"]


def test_on_sqlite_without_a_release_a_waiter_waits_for_the_pipe_not_a_poll(sqlite_pipe, provider):
    waited = seconds(lambda: wait_for_release(provider))

    assert WAKE_TIMEOUT_SECONDS * 0.9 <= waited < WAKE_TIMEOUT_SECONDS * 4


def test_on_sqlite_releases_nobody_waited_for_keep_at_most_one_token_per_slot(
    sqlite_pipe, provider
):
    for _ in range(5):
        announce_release(provider, limit=2)

    assert seconds(lambda: wait_for_release(provider)) < WAKE_TIMEOUT_SECONDS / 2
    assert seconds(lambda: wait_for_release(provider)) < WAKE_TIMEOUT_SECONDS / 2
    assert seconds(lambda: wait_for_release(provider)) >= WAKE_TIMEOUT_SECONDS * 0.9


def test_a_plain_file_in_the_pipes_place_means_polling(sqlite_pipe, provider, monkeypatch, caplog):
    announce_release(provider, limit=1)  # makes the pipe: its name
    (pipe,) = sqlite_pipe.iterdir()
    elsewhere = sqlite_pipe / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / pipe.name).write_text("not a pipe")  # e.g. left there by something else
    monkeypatch.setattr("generation.providers.wake.tempfile.gettempdir", lambda: str(elsewhere))

    announce_release(provider, limit=1)

    assert seconds(lambda: wait_for_release(provider)) < 0.2
    assert "not a named pipe" in caplog.text
    assert (elsewhere / pipe.name).read_text() == "not a pipe"


def test_a_redis_that_does_not_answer_falls_back_to_polling(settings, provider, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    announce_release(provider, limit=1)
    waited = seconds(lambda: wait_for_release(provider))

    assert waited < 2.5
    assert "gate_wake_unavailable" in caplog.text


@pytest.fixture(params=["redis", "sqlite pipe"])
def wake(request):
    """Each way a release wakes a waiter."""
    return request.getfixturevalue("with_redis" if request.param == "redis" else "sqlite_pipe")


def test_a_slot_given_back_is_taken_by_the_waiting_worker_without_a_poll(
    wake, provider, settings, monkeypatch
):
    # A waiter would look again only 2 s after it started waiting, 1.5 s after the release:
    # taking the slot well before proves the wake.
    monkeypatch.setattr("generation.providers.wake.WAKE_TIMEOUT_SECONDS", 2)
    settings.NANODECK = {**settings.NANODECK, "PROVIDER_CONCURRENCY": {provider: 1}}
    times: dict[str, float] = {}

    def second_worker() -> None:
        try:
            with provider_slot(provider, holder="second", checkpoint=lambda: None):
                times["taken"] = time.monotonic()
        finally:
            connection.close()

    with provider_slot(provider, holder="first", checkpoint=lambda: None):
        waiter = threading.Thread(target=second_worker)
        waiter.start()
        time.sleep(0.5)  # the waiter has found no slot and blocks on the list
        assert ProviderCall.objects.filter(provider=provider).count() == 1
        times["released"] = time.monotonic()
    waiter.join(15)

    assert times["taken"] - times["released"] < 0.75

"""Live progress without a server: the page stamp the streams read, what an event says, and
the workers' wake-up message (sent after the commit, never failing the pipeline)."""

import time

import pytest
import redis
from django.utils import timezone

from generation.events.payloads import batch_for_events, batch_snapshot, page_payload, parse_cursor
from generation.events.publish import CHANNEL, batch_changed
from generation.models import Page, PageStatus
from generation.services.batches import batch_plan
from tests.factories import make_batch
from tests.generation.test_broker_outage import closed_port

pytestmark = pytest.mark.django_db
EVENTS_REDIS_URL = "redis://127.0.0.1:6379/13"
ZH_OUTLINE = "# 人工智能课堂\n\n## 为什么\n- 个性化学习\n- 即时反馈\n"


def _planned():
    return batch_plan(batch=make_batch(outline=ZH_OUTLINE, options={"provider": "local"}))


def _subscriber() -> redis.client.PubSub:
    client = redis.Redis.from_url(EVENTS_REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis at {EVENTS_REDIS_URL} is not reachable: {exc}")
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    return pubsub


def _messages(pubsub: redis.client.PubSub, about: str, *, seconds: float = 0.5) -> list[bytes]:
    """The wake-ups for one batch: the channel is the whole Redis server's (publish ignores the
    database number), so another suite's or cluster's workers may be publishing on it too."""
    found, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.05)
        if message and message["data"] == about.encode():
            found.append(message["data"])
    return found


def test_a_page_changed_by_a_queryset_update_gets_a_new_stamp():
    page = _planned().pages.first()
    before = page.updated_at
    time.sleep(0.01)

    Page.objects.filter(pk=page.pk).update(status=PageStatus.RUNNING)  # no auto_now here

    page.refresh_from_db()
    assert page.updated_at > before


def test_a_snapshot_shows_every_page_with_its_cursor_and_the_progress():
    batch = _planned()

    snapshot = batch_snapshot(batch_for_events(batch.pk))

    assert snapshot.start["batch_id"] == str(batch.pk)
    assert snapshot.start["total_pages"] == batch.pages.count()
    states = sorted(snapshot.pages.values(), key=lambda state: state.cursor)
    first = page_payload(states[0], kind="deck")
    assert first["title"] == "人工智能课堂"
    assert (first["status"], first["attempt"], first["thumbnail_url"]) == ("pending", 0, None)
    assert parse_cursor(states[0].event_id) == states[0].cursor
    assert snapshot.progress["total"] == batch.pages.count()
    assert snapshot.progress["credits"] == {"spent": 0, "held": 0}
    assert snapshot.complete is None


def test_a_snapshot_since_a_stamp_holds_only_the_pages_changed_after_it():
    batch = _planned()
    page = batch.pages.order_by("index").last()
    cutoff = timezone.now()
    time.sleep(0.01)  # SQLite's trigger stamps to the millisecond
    Page.objects.filter(pk=page.pk).update(status=PageStatus.RUNNING)

    snapshot = batch_snapshot(batch_for_events(batch.pk), since=cutoff)

    assert list(snapshot.pages) == [page.pk]


@pytest.mark.parametrize("text", ["", "12", "a-1", "1-b", "1-2-3", "１-2", "-1"])
def test_a_last_event_id_the_stream_did_not_send_resumes_from_the_start(text):
    assert parse_cursor(text) is None


def test_a_page_change_wakes_the_streams_once_it_commits(
    settings, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = EVENTS_REDIS_URL
    pubsub = _subscriber()
    page = _planned().pages.first()
    _messages(pubsub, str(page.batch_id), seconds=0.1)  # planning's own

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page.status = PageStatus.RUNNING
        page.write(["status"], lease="")
        assert _messages(pubsub, str(page.batch_id), seconds=0.2) == []  # not before the commit

    assert len(callbacks) == 1
    assert _messages(pubsub, str(page.batch_id)) == [str(page.batch_id).encode()]


def test_without_redis_nothing_is_published(settings, django_capture_on_commit_callbacks):
    settings.REDIS_URL = ""
    with django_capture_on_commit_callbacks() as callbacks:
        batch_changed("any")
    assert callbacks == []


def test_redis_down_never_fails_a_page_change_and_costs_no_wait(
    settings, django_capture_on_commit_callbacks, caplog
):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/13"
    page = _planned().pages.first()

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        for status in (PageStatus.RUNNING, PageStatus.PENDING, PageStatus.RUNNING):
            page.status = status
            page.write(["status"], lease="")
    elapsed = time.monotonic() - started

    page.refresh_from_db()
    assert page.status == PageStatus.RUNNING
    assert elapsed < 0.5
    failures = [record for record in caplog.records if "events_publish_failed" in record.message]
    assert len(failures) == 1  # then it pauses instead of trying on every change

"""Live progress through real HTTP: a uvicorn server and a worker cluster in child processes,
on SQLite without Redis (the streams poll the database) and on PostgreSQL + Redis (workers
publish, the streams are woken), each client reading the stream as a browser would."""

import time
import uuid

import pytest

from tests.live_site import live_site
from tests.stacks import STACKS

pytestmark = pytest.mark.slow
EVENTS_REDIS_URL = "redis://127.0.0.1:6379/13"
PAGE_FIELDS = {
    *("index", "kind", "title", "status", "step", "attempt", "score", "thumbnail_url"),
    "error",  # beside the fields: why a failed page failed
}
PROGRESS_FIELDS = {
    "completed",
    "failed",
    "total",
    "percentage",
    "eta_seconds",
    "cost_usd",
    "credits",
    "steps",  # beside the fields: the per-step counts the deck page shows
}


@pytest.fixture(scope="module", params=STACKS)
def site(request, tmp_path_factory):
    """A uvicorn server and a cluster; without Redis the streams poll every 0.2 s, with Redis
    only every 60 s, so a change seen sooner was a worker's message."""
    with live_site(
        request.param,
        tmp_path_factory.mktemp("events"),
        "events",
        redis_url=EVENTS_REDIS_URL,
        EVENTS_HEARTBEAT_SECONDS="0.3",
        EVENTS_POLL_SECONDS="0.2",
        EVENTS_REDIS_POLL_SECONDS="60",
    ) as found:
        yield found


def _pages(events):
    return [event for event in events if event.name == "page"]


def test_a_deck_streams_start_pages_progress_and_complete_then_the_stream_ends(site):
    token = site.user()
    batch_id = site.deck(token)
    stream = site.stream(f"/api/v1/batches/{batch_id}/events/", token=token)
    assert stream.status == 200
    assert stream.response.getheader("Content-Type").startswith("text/event-stream")
    events = stream.until_end()

    assert stream.ended
    assert events[0].name == "start"
    assert set(events[0].data) == {"batch_id", "total_pages", "language", "template", "timestamp"}
    assert (events[0].data["batch_id"], events[0].data["language"]) == (batch_id, "zh")
    assert events[-1].name == "complete"
    assert events[-1].data["status"] == "completed"
    assert events[-1].data["total_slides"] == 5
    assert events[-1].data["generation_time_s"] >= 0
    pages = _pages(events)
    assert all(set(event.data) == PAGE_FIELDS and event.id for event in pages)
    last = {event.data["index"]: event.data for event in pages}
    assert sorted(last) == [1, 2, 3, 4, 5]
    assert all(page["status"] == "completed" and page["thumbnail_url"] for page in last.values())
    assert last[1]["title"] == "人工智能课堂"
    progress = [event.data for event in events if event.name == "progress"]
    assert all(set(data) == PROGRESS_FIELDS for data in progress)
    assert progress[-1]["completed"] == 5
    assert progress[-1]["percentage"] == 100.0


def test_a_client_that_reconnects_with_last_event_id_gets_only_what_it_missed(site):
    token = site.user()
    batch_id = site.deck(token)
    path = f"/api/v1/batches/{batch_id}/events/"
    site.stream(path, token=token).until_end()  # the deck is done
    everything = _pages(site.stream(path, token=token).until_end())
    assert sorted(event.data["index"] for event in everything) == [1, 2, 3, 4, 5]

    seen = everything[1].id  # the client had the first two pages when it lost the connection
    resumed = site.stream(path, token=token, last_event_id=seen).until_end()

    assert next(event.name for event in resumed) == "start"
    assert [event.id for event in _pages(resumed)] == [event.id for event in everything[2:]]
    assert resumed[-1].name == "complete"


def test_an_idle_stream_sends_heartbeats_and_goes_on_when_the_batch_does(site):
    token = site.user()
    batch_id = site.deck(token, pause_after="plan")
    path = f"/api/v1/batches/{batch_id}/events/"
    site.wait_for_status(batch_id, token, "awaiting_approval", timeout=30)
    stream = site.stream(path, token=token)
    events = stream.events(timeout=60)
    names = []
    for event in events:
        names.append(event.name)
        if names.count("ping") == 2:
            break
    assert names[0] == "start"
    assert "progress" in names

    approved = time.monotonic()
    assert site.call("POST", f"/api/v1/batches/{batch_id}/approve/", {}, token)[0] == 202
    rest = [event for event in events if event.name != "ping"]
    assert rest[-1].name == "complete"
    assert {event.data["status"] for event in _pages(rest)} >= {"completed"}
    assert time.monotonic() - approved < 30  # with Redis: woken by the workers, not the 60 s poll


def test_streams_need_credentials_and_show_only_my_own_batches(site):
    mine, theirs = site.user(), site.user()
    batch_id = site.deck(mine)
    path = f"/api/v1/batches/{batch_id}/events/"

    anonymous = site.stream(path)
    assert (anonymous.status, anonymous.json()["error"]["code"]) == (401, "not_authenticated")
    wrong = site.stream(path, token="nope")
    assert (wrong.status, wrong.json()["error"]["code"]) == (401, "authentication_failed")
    for other in (path, f"/api/v1/batches/{uuid.uuid4()}/events/", "/api/v1/batches/x/events/"):
        refused = site.stream(other, token=theirs)
        assert refused.status == 404
        assert refused.json()["error"]["code"] == "not_found"
    as_image = site.stream(f"/api/v1/images/{batch_id}/events/", token=mine)
    assert as_image.status == 404  # a deck is not an image
    status, refused = site.call("POST", path, {}, mine)
    assert (status, refused["error"]["code"]) == (405, "method_not_allowed")


def test_a_signed_in_browser_follows_its_deck_with_its_session_cookie(site):
    name = f"s{uuid.uuid4().hex[:10]}"
    batch_id = site.deck(site.user(name))

    stream = site.stream(f"/api/v1/batches/{batch_id}/events/", cookie=site.session(name))

    assert stream.status == 200
    events = stream.until_end()
    assert (events[0].name, events[-1].name) == ("start", "complete")


def test_an_image_streams_its_status_and_ends_with_the_image(site):
    token = site.user()
    body = {"prompt": "一只在图书馆读书的猫", "provider": "local"}
    status, image = site.call("POST", "/api/v1/images/", body, token)
    assert status == 202, image

    events = site.stream(f"/api/v1/images/{image['id']}/events/", token=token).until_end()

    assert events[0].name == "start"
    assert set(events[0].data) == {
        "image_id",
        "prompt",
        "mode",
        "aspect_ratio",
        "size",
        "timestamp",
    }
    assert events[0].data["prompt"] == "一只在图书馆读书的猫"
    pages = _pages(events)
    assert all(set(event.data) == {*PAGE_FIELDS, "image_url"} for event in pages)
    assert pages[-1].data["status"] == "completed"
    assert pages[-1].data["image_url"]
    assert events[-1].name == "complete"
    assert events[-1].data["status"] == "completed"
    assert events[-1].data["image_url"]

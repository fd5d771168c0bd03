# The loopback `server` fixture is imported from the providers' conftest; test arguments that
# name it are not redefinitions.
"""A page rendered by kie, an asynchronous provider, over real HTTP: the render attempt waits
without a worker, a signed webhook (or the poller) records the answer, the page goes on."""

import base64
import hashlib
import hmac
import io
import json
import time

import pytest
from django.utils import timezone
from PIL import Image

from generation.models import Page, PageStatus, ProviderCall, StepRun
from generation.render.renderer import render_slide
from generation.services.batches import batch_plan
from generation.services.pages import page_run
from generation.slides import Theme
from generation.tasks import poll_async_attempts
from tests.factories import make_batch
from tests.generation.providers.conftest import API_KEY

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/kie/"
SECRET = "whsec-test-51c0"
PUBLIC = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def kie(server, settings):
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "kie": {
            "api_key": API_KEY,
            "base_url": server.url,
            "image_model": "nano-banana-pro",
            "webhook_secret": SECRET,
        },
    }
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.PROVIDER_TIMEOUT_SECONDS = 5
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}


@pytest.fixture
def waiting_page(server) -> Page:
    """A page whose render attempt waits for kie task "task-1"."""
    batch = batch_plan(batch=make_batch(options={"provider": "kie"}))
    server.script((200, {}, {"code": 200, "msg": "success", "data": {"taskId": "task-1"}}))
    return page_run(page=batch.pages.get(index=2))


def slide_png(page: Page) -> bytes:
    buffer = io.BytesIO()
    render_slide(page.plan, Theme(), (768, 432)).image.save(buffer, "PNG")
    return buffer.getvalue()


def task(server, state: str = "success", **fields: object) -> dict:
    data = {"taskId": "task-1", "state": state, "failCode": None, "failMsg": None}
    if state == "success":
        data["resultJson"] = json.dumps({"resultUrls": [f"{server.url}/r/task-1.png"]})
    return {**data, **fields}


def callback(server, **fields: object) -> dict:
    return {"code": 200, "msg": "success", "data": task(server, **fields)}


def kie_signs(task_id: str, stamp: str, secret: str = SECRET) -> str:
    """What kie sends (docs.kie.ai/common-api/webhook-verification):
    base64(HMAC-SHA256(taskId + "." + timestamp, webhookHmacKey))."""
    digest = hmac.new(secret.encode(), f"{task_id}.{stamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def deliver(client, payload: object, *, timestamp: int | None = None, signature: str = ""):
    """POST the callback signed the documented way for its data.taskId (or data.task_id)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    data = payload.get("data") if isinstance(payload, dict) else None
    data = data if isinstance(data, dict) else {}
    task_id = str(data.get("taskId") or data.get("task_id") or "")
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_WEBHOOK_TIMESTAMP=stamp,
        HTTP_X_WEBHOOK_SIGNATURE=signature or kie_signs(task_id, stamp),
    )


def one_character_off(signature: str) -> str:
    """The same signature with its first character changed."""
    return ("B" if signature[0] == "A" else "A") + signature[1:]


def render_run(page: Page) -> StepRun:
    return StepRun.objects.get(page=page, step="render")


def test_a_page_waits_for_kie_without_holding_a_worker(waiting_page, server, client):
    page = Page.objects.get(pk=waiting_page.pk)
    assert (page.status, page.waiting_for, page.lease_owner) == (PageStatus.PENDING, "kie", "")
    run = render_run(page)
    assert (run.external_state, run.external_id, run.provider) == ("pending", "task-1", "kie")
    assert not ProviderCall.objects.exists()
    sent = server.received[0].json()
    assert sent["callBackUrl"] == f"{PUBLIC}/api/v1/webhooks/kie/"
    (reference,) = sent["input"]["image_input"]
    assert reference.startswith(f"{PUBLIC}/media/signed/")
    fetched = client.get(reference.removeprefix(PUBLIC))
    assert fetched.status_code == 200
    assert Image.open(io.BytesIO(b"".join(fetched.streaming_content))).size == (320, 180)


def test_the_webhook_records_the_image_and_the_page_finishes(
    waiting_page, server, client, django_capture_on_commit_callbacks
):
    server.script((200, {"Content-Type": "image/png"}, slide_png(waiting_page)))

    with django_capture_on_commit_callbacks() as queued:
        response = deliver(client, callback(server, costTime=9000))

    assert (response.status_code, response.json()) == (200, {"status": "recorded"})
    assert len(queued) == 1  # the page goes back to the queue
    run = render_run(waiting_page)
    assert run.external_state == "succeeded"
    page = page_run(page=Page.objects.get(pk=waiting_page.pk))
    assert page.status == PageStatus.COMPLETED
    run.refresh_from_db()
    assert run.passed
    assert run.selected
    assert not run.cache_hit
    assert run.cost_usd == pytest.approx(0.134 + 0.0011)  # a 1K image with one reference image
    assert run.output_data["usage"] == {"costTime": 9000}
    with run.output_image.open("rb") as handle:
        assert Image.open(handle).size == (1536, 864)  # fitted to the batch's size
    assert StepRun.objects.get(page=page, step="finish").selected
    assert page.image.name == run.output_image.name


def test_a_replayed_webhook_changes_nothing(
    waiting_page, server, client, django_capture_on_commit_callbacks
):
    server.script((200, {"Content-Type": "image/png"}, slide_png(waiting_page)))
    deliver(client, callback(server))
    recorded = render_run(waiting_page)

    with django_capture_on_commit_callbacks() as queued:
        response = deliver(client, callback(server))

    assert (response.status_code, response.json()) == (200, {"status": "already recorded"})
    assert queued == []
    again = render_run(waiting_page)
    assert (again.finished_at, again.output_image.name) == (
        recorded.finished_at,
        recorded.output_image.name,
    )
    assert len(server.received) == 2  # createTask and one download, nothing more


def test_a_failed_task_fails_the_attempt_with_kies_reason(waiting_page, server, client):
    reason = "The prompt was flagged by the content policy"
    response = deliver(client, callback(server, state="fail", failCode="400", failMsg=reason))

    assert response.json() == {"status": "recorded"}
    run = render_run(waiting_page)
    assert (run.external_state, run.error_kind) == ("failed", "content_blocked")
    assert run.cost_usd == 0
    page = page_run(page=Page.objects.get(pk=waiting_page.pk))
    assert page.status == PageStatus.FAILED
    assert reason in page.error


def assert_still_waiting(page: Page) -> None:
    run = render_run(page)
    assert (run.external_state, run.error_kind, run.output_image.name) == ("pending", "", "")


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (-301, "seconds off"),
        # +302: the timestamp is whole seconds and the server reads its clock a moment after the
        # test, so "now" may already be a second later; +302 is off by more than 300 either way
        (302, "seconds off"),
        ("yesterday", "unix seconds"),
        ("\u00b2", "unix seconds"),  # a digit to str.isdigit, not to int()
    ],
)
def test_a_callback_not_sent_now_is_refused(waiting_page, server, client, offset, words):
    stamp = int(time.time()) + offset if isinstance(offset, int) else offset
    response = deliver(client, callback(server), timestamp=stamp)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "bad_signature"
    assert words in error["message"]
    assert_still_waiting(waiting_page)
    assert len(server.received) == 1


@pytest.mark.parametrize("offset", [-299, 300])
def test_a_callback_within_five_minutes_is_accepted(waiting_page, server, client, offset):
    server.script((200, {"Content-Type": "image/png"}, slide_png(waiting_page)))
    response = deliver(client, callback(server), timestamp=int(time.time()) + offset)
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "recorded"}


def test_a_signature_one_character_off_is_refused(waiting_page, server, client):
    stamp = str(int(time.time()))
    response = deliver(
        client,
        callback(server),
        timestamp=int(stamp),
        signature=one_character_off(kie_signs("task-1", stamp)),
    )
    assert response.status_code == 401
    assert "X-Webhook-Signature does not match" in response.json()["error"]["message"]
    assert_still_waiting(waiting_page)
    assert len(server.received) == 1


@pytest.mark.parametrize(
    "signed",
    [
        lambda stamp: kie_signs("task-2", stamp),  # another task's signature
        lambda stamp: kie_signs("task-1", str(int(stamp) - 1)),  # another second's
        lambda stamp: kie_signs("task-1", stamp, secret=SECRET + "x"),  # another key's
        lambda stamp: kie_signs("task-1", stamp).lower(),  # base64 is case-sensitive
    ],
)
def test_a_signature_of_anything_else_is_refused(waiting_page, server, client, signed):
    stamp = str(int(time.time()))
    response = deliver(client, callback(server), timestamp=int(stamp), signature=signed(stamp))
    assert response.status_code == 401
    assert_still_waiting(waiting_page)


def test_the_old_scheme_is_refused(waiting_page, server, client):
    """Hex HMAC over "<timestamp>." + body, our scheme before kie's documented one."""
    body = json.dumps(callback(server)).encode()
    stamp = str(int(time.time()))
    old = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    for prefix in ("HTTP_X_WEBHOOK", "HTTP_X_KIE"):
        response = client.post(
            URL,
            data=body,
            content_type="application/json",
            **{f"{prefix}_TIMESTAMP": stamp, f"{prefix}_SIGNATURE": old},
        )
        assert response.status_code == 401
    assert_still_waiting(waiting_page)


def test_a_callback_naming_the_task_as_task_id_is_verified_the_same_way(
    waiting_page, server, client
):
    payload = callback(server)
    payload["data"]["task_id"] = payload["data"].pop("taskId")
    server.script((200, {"Content-Type": "image/png"}, slide_png(waiting_page)))
    response = deliver(client, payload)
    assert response.status_code == 200, response.json()
    assert render_run(waiting_page).external_state == "succeeded"


def test_a_request_without_a_signature_is_refused(waiting_page, server, client):
    response = client.post(URL, data=callback(server), content_type="application/json")
    assert response.status_code == 401
    message = response.json()["error"]["message"]
    assert "X-Webhook-Timestamp" in message
    assert "X-Webhook-Signature" in message
    assert_still_waiting(waiting_page)


def test_a_request_with_only_a_timestamp_is_refused(waiting_page, server, client):
    response = client.post(
        URL,
        data=callback(server),
        content_type="application/json",
        HTTP_X_WEBHOOK_TIMESTAMP=str(int(time.time())),
    )
    assert response.status_code == 401
    assert_still_waiting(waiting_page)


def test_webhooks_are_off_without_a_secret(waiting_page, server, client, settings):
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "kie": {**settings.PROVIDER_SETTINGS["kie"], "webhook_secret": ""},
    }
    response = deliver(client, callback(server))
    assert response.status_code == 503
    assert "KIE_WEBHOOK_SECRET" in response.json()["error"]["message"]
    assert_still_waiting(waiting_page)


def test_an_unknown_task_is_not_found_and_changes_nothing(waiting_page, server, client):
    response = deliver(client, callback(server, taskId="task-nobody-made"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert_still_waiting(waiting_page)
    assert len(server.received) == 1


@pytest.mark.parametrize(
    "payload", [b"{not json", {"code": 200, "data": {"state": "success"}}, {"code": 200}]
)
def test_a_body_that_is_not_a_callback_is_a_bad_request(waiting_page, server, client, payload):
    response = deliver(client, payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert_still_waiting(waiting_page)


def test_the_poller_completes_an_attempt_whose_webhook_never_came(
    waiting_page, server, settings, django_capture_on_commit_callbacks
):
    settings.NANODECK = {**settings.NANODECK, "ASYNC_POLL_AFTER_SECONDS": 0}
    server.script(
        (200, {}, {"code": 200, "msg": "success", "data": task(server, state="generating")}),
        (200, {}, {"code": 200, "msg": "success", "data": task(server)}),
        (200, {"Content-Type": "image/png"}, slide_png(waiting_page)),
    )

    assert poll_async_attempts() == {"polled": 1, "recorded": 0, "waiting": 1, "unanswered": 0}
    with django_capture_on_commit_callbacks() as queued:
        assert poll_async_attempts()["recorded"] == 1

    assert len(queued) == 1
    asked = server.received[1]
    assert (asked.method, asked.path) == ("GET", "/api/v1/jobs/recordInfo?taskId=task-1")
    page = page_run(page=Page.objects.get(pk=waiting_page.pk))
    assert page.status == PageStatus.COMPLETED
    assert render_run(page).cost_usd > 0


def test_the_poller_leaves_recent_attempts_to_their_webhook(waiting_page, server):
    assert poll_async_attempts()["polled"] == 0
    assert len(server.received) == 1


def test_the_poller_fails_a_task_kie_does_not_know(waiting_page, server, settings):
    settings.NANODECK = {**settings.NANODECK, "ASYNC_POLL_AFTER_SECONDS": 0}
    server.script((200, {}, {"code": 404, "msg": "task not found"}))

    assert poll_async_attempts()["recorded"] == 1

    run = render_run(waiting_page)
    assert (run.external_state, run.error_kind) == ("failed", "invalid_request")
    assert "task not found" in run.error_message


def test_the_poller_asks_again_later_when_kie_is_down(waiting_page, server, settings):
    settings.NANODECK = {**settings.NANODECK, "ASYNC_POLL_AFTER_SECONDS": 0}
    server.script((503, {}, "down"))

    assert poll_async_attempts()["unanswered"] == 1

    assert_still_waiting(waiting_page)
    assert render_run(waiting_page).started_at < timezone.now()

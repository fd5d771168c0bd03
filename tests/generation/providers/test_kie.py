"""kie.ai's asynchronous jobs API over real HTTP: createTask, recordInfo, callbacks, results."""

import json

import pytest

from generation.providers.base import ErrorKind, ImageRequest, ProviderError, ProviderPending
from generation.providers.kie import KieProvider
from generation.signing import signed_media_url
from tests.generation.providers.conftest import API_KEY, assert_no_key, closed_port, png

MODEL = "nano-banana-pro"
PUBLIC = "https://decks.example.com"


@pytest.fixture
def configure(server, settings):
    def configure(*, base_url: str = "") -> None:
        settings.PROVIDER_SETTINGS = {
            **settings.PROVIDER_SETTINGS,
            "kie": {
                "api_key": API_KEY,
                "base_url": base_url or server.url,
                "image_model": MODEL,
                "webhook_secret": "",
            },
        }
        settings.PUBLIC_BASE_URL = PUBLIC
        settings.PROVIDER_TIMEOUT_SECONDS = 2

    return configure


@pytest.fixture
def provider(configure) -> KieProvider:
    configure()
    return KieProvider()


def slide_request(**fields: object) -> ImageRequest:
    return ImageRequest(**{"prompt": "A slide about tides", "size": (1536, 864), **fields})


def created(task_id: str = "task-1") -> tuple[int, dict, dict]:
    return 200, {}, {"code": 200, "msg": "success", "data": {"taskId": task_id}}


def record(state: str, **fields: object) -> tuple[int, dict, dict]:
    data = {"taskId": "task-1", "state": state, "resultJson": "", "failCode": "", "failMsg": ""}
    return 200, {}, {"code": 200, "msg": "success", "data": {**data, **fields}}


def succeeded(server, **fields: object) -> tuple[int, dict, dict]:
    result = json.dumps({"resultUrls": [f"{server.url}/files/result.png"]})
    return record("success", resultJson=result, **fields)


def served(body: bytes, content_type: str = "image/png") -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": content_type}, body


def pending(provider: KieProvider, request: ImageRequest) -> ProviderPending:
    with pytest.raises(ProviderPending) as caught:
        provider.generate(request)
    return caught.value


def error_of(call) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call()
    return caught.value


def test_it_creates_a_task_and_waits_for_its_answer(provider, server, caplog):
    server.script(created("task-42"))
    references = [signed_media_url("batches/1/reference-0.png")]

    waiting = pending(provider, slide_request(reference_urls=references))

    assert (waiting.provider, waiting.task_id) == ("kie", "task-42")
    sent = server.received[0]
    assert (sent.method, sent.path) == ("POST", "/api/v1/jobs/createTask")
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.json() == {
        "model": MODEL,
        "callBackUrl": f"{PUBLIC}/api/v1/webhooks/kie/",
        "input": {
            "prompt": "A slide about tides",
            "image_input": references,
            "aspect_ratio": "16:9",
            "resolution": "1K",
            "output_format": "png",
        },
    }
    assert references[0].startswith(f"{PUBLIC}/media/signed/")
    assert caplog.text.count("provider_call provider=kie") == 1


@pytest.mark.parametrize(
    ("quality", "params", "expected"),
    [("standard", {}, "1K"), ("hd", {}, "2K"), ("standard", {"image_size": "4K"}, "4K")],
)
def test_it_asks_for_the_resolution_of_the_quality(provider, server, quality, params, expected):
    server.script(created())
    pending(provider, slide_request(quality=quality, params=params))
    assert server.received[0].json()["input"]["resolution"] == expected


def test_it_picks_the_nearest_aspect_ratio(provider, server):
    server.script(created())
    pending(provider, slide_request(size=(1080, 1900)))
    assert server.received[0].json()["input"]["aspect_ratio"] == "9:16"


def test_an_unknown_resolution_is_refused_before_any_call(provider, server):
    error = error_of(lambda: provider.generate(slide_request(params={"image_size": "8K"})))
    assert error.kind == ErrorKind.INVALID_REQUEST
    assert server.received == []


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        (401, ErrorKind.AUTH, "KIE_API_KEY"),
        (402, ErrorKind.AUTH, "the kie account has no credit left"),
        (429, ErrorKind.RATE_LIMITED, "too many requests"),
        (455, ErrorKind.TRANSIENT, "too many requests"),
        (500, ErrorKind.TRANSIENT, "too many requests"),
        (422, ErrorKind.INVALID_REQUEST, "too many requests"),
    ],
)
def test_a_code_in_the_body_is_classified(provider, server, caplog, code, kind, words):
    server.script((200, {}, {"code": code, "msg": "too many requests", "data": None}))
    error = error_of(lambda: provider.generate(slide_request()))
    assert error.kind == kind
    assert words in error.message
    assert_no_key(error, caplog)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(503, ErrorKind.TRANSIENT), (401, ErrorKind.AUTH), (400, ErrorKind.INVALID_REQUEST)],
)
def test_http_errors_are_classified(provider, server, caplog, status, kind):
    server.script((status, {}, "<html>unavailable</html>"))
    error = error_of(lambda: provider.generate(slide_request()))
    assert error.kind == kind
    assert f"code {status}" in error.message
    assert_no_key(error, caplog)


def test_a_key_the_server_echoes_never_reaches_the_message(provider, server, caplog):
    server.script(
        lambda got: (200, {}, {"code": 401, "msg": f"bad key {got.headers['Authorization']}"})
    )
    error = error_of(lambda: provider.generate(slide_request()))
    assert error.kind == ErrorKind.AUTH
    assert "***" in error.message
    assert_no_key(error, caplog)


def test_an_unreachable_server_is_transient(configure, caplog):
    configure(base_url=f"http://127.0.0.1:{closed_port()}")
    error = error_of(lambda: KieProvider().generate(slide_request()))
    assert error.kind == ErrorKind.TRANSIENT
    assert_no_key(error, caplog)


def test_an_answer_without_a_task_id_is_transient(provider, server):
    server.script((200, {}, {"code": 200, "msg": "success", "data": {}}))
    error = error_of(lambda: provider.generate(slide_request()))
    assert error.kind == ErrorKind.TRANSIENT


@pytest.mark.parametrize("state", ["waiting", "queuing", "generating"])
def test_an_unfinished_task_has_no_outcome_yet(provider, server, state):
    server.script(record(state))
    assert provider.record_info("task-1") is None
    sent = server.received[0]
    assert (sent.method, sent.path) == ("GET", "/api/v1/jobs/recordInfo?taskId=task-1")
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"


def test_a_finished_task_gives_the_result_image(provider, server):
    server.script(succeeded(server, costTime=8123), served(png((64, 36))))

    outcome = provider.record_info("task-1")

    assert outcome.error is None
    assert outcome.image.size == (64, 36)
    assert outcome.usage == {"costTime": 8123}
    download = server.received[1]
    assert download.path == "/files/result.png"
    assert "Authorization" not in download.headers  # the key goes to kie's API only


@pytest.mark.parametrize(
    ("fail_code", "message", "kind"),
    [
        ("500", "Internal error, please try again later", ErrorKind.TRANSIENT),
        ("455", "Service unavailable", ErrorKind.TRANSIENT),
        ("400", "Your prompt was flagged by the content policy", ErrorKind.CONTENT_BLOCKED),
        ("422", "image_input could not be downloaded", ErrorKind.INVALID_REQUEST),
    ],
)
def test_a_failed_task_is_an_error_in_kies_words(provider, server, fail_code, message, kind):
    server.script(record("fail", failCode=fail_code, failMsg=message))
    outcome = provider.record_info("task-1")
    assert outcome.image is None
    assert outcome.error.kind == kind
    assert message in outcome.error.message


def test_an_oversized_result_is_refused(provider, server):
    server.script(succeeded(server), served(b"\0" * (20 * 1024 * 1024 + 1)))
    outcome = provider.record_info("task-1")
    assert outcome.image is None
    assert outcome.error.kind == ErrorKind.TRANSIENT
    assert "limit" in outcome.error.message


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [(b"<html></html>", "text/html", "not an image"), (b"GIF89a", "image/png", "not a readable")],
)
def test_a_result_that_is_not_an_image_is_refused(provider, server, body, content_type, words):
    server.script(succeeded(server), served(body, content_type))
    outcome = provider.record_info("task-1")
    assert outcome.image is None
    assert words in outcome.error.message


def test_success_without_a_result_url_is_an_error(provider, server):
    server.script(record("success", resultJson="{not json"))
    outcome = provider.record_info("task-1")
    assert outcome.error.kind == ErrorKind.TRANSIENT
    assert len(server.received) == 1


def test_recordinfo_errors_are_classified(provider, server, caplog):
    server.script((200, {}, {"code": 404, "msg": "task not found"}))
    error = error_of(lambda: provider.record_info("task-9"))
    assert error.kind == ErrorKind.INVALID_REQUEST
    assert "task not found" in error.message
    assert_no_key(error, caplog)


def test_a_callback_gives_the_same_outcome(provider, server):
    _, _, answer = succeeded(server)
    server.script(served(png((48, 27))))
    outcome = provider.outcome_from_callback({"code": 200, "msg": "ok", "data": answer["data"]})
    assert outcome.task_id == "task-1"
    assert outcome.image.size == (48, 27)


def test_a_callback_may_name_the_task_as_task_id(provider, server):
    """kie's own verification example reads data.task_id."""
    _, _, answer = succeeded(server)
    data = {**answer["data"], "task_id": answer["data"]["taskId"]}
    del data["taskId"]
    server.script(served(png((48, 27))))
    assert provider.outcome_from_callback({"code": 200, "data": data}).task_id == "task-1"


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ([], "no data object"),
        ({"code": 200}, "no data object"),
        ({"data": {"state": "success"}}, "no data.taskId"),
        ({"data": {"taskId": "task-1", "state": "generating"}}, "not success or fail"),
    ],
)
def test_a_malformed_callback_is_refused(provider, server, payload, problem):
    with pytest.raises(ValueError, match=problem):
        provider.outcome_from_callback(payload)
    assert server.received == []


def test_too_many_references_are_refused_before_any_call(provider, server):
    urls = [signed_media_url(f"batches/1/reference-{n}.png") for n in range(9)]
    error = error_of(lambda: provider.generate(slide_request(reference_urls=urls)))
    assert error.kind == ErrorKind.INVALID_REQUEST
    assert "at most 8" in error.message
    assert server.received == []

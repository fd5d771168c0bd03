import base64
import json
from email import policy
from email.parser import BytesParser

import pytest
from PIL import Image

from generation.providers.base import ErrorKind, ImageRequest
from generation.providers.gate import MAX_WAIT_SECONDS
from generation.providers.openai import OpenAIProvider
from tests.generation.providers.conftest import API_KEY, Received, png, raises

IMAGE_MODEL = "gpt-image-1"
TEXT_MODEL = "gpt-4o-mini"
PAGE = {
    "kind": "content",
    "title": "Why tides rise",
    "items": [{"title": "Gravity", "text": "The moon pulls the oceans.", "children": []}],
    "language": "en",
}
DESCRIPTION = (
    "A content slide titled Why tides rise. The title sits top left in bold; below it one card "
    "names Gravity with the sentence The moon pulls the oceans. A diagram of the moon and the "
    "earth with a bulge of water fills the right half, with arrows for the pull."
)
OUTLINE = {
    "title": "Tides",
    "subtitle": "",
    "language": "en",
    "sections": [
        {"title": "", "items": [], "pages": [{"title": "Pull", "items": [{"text": "Gravity"}]}]}
    ],
}


@pytest.fixture
def configure(server, settings):
    def configure(**extra: str) -> None:
        settings.PROVIDER_SETTINGS = {
            "openai": {
                "api_key": API_KEY,
                "base_url": server.url,
                "image_model": IMAGE_MODEL,
                "text_model": TEXT_MODEL,
                **extra,
            }
        }
        settings.PROVIDER_TIMEOUT_SECONDS = 2

    return configure


@pytest.fixture
def provider(configure) -> OpenAIProvider:
    configure()
    return OpenAIProvider()


@pytest.fixture
def chat_provider(configure) -> OpenAIProvider:
    configure(image_api="chat")
    return OpenAIProvider()


def slide_request(**fields: object) -> ImageRequest:
    return ImageRequest(**{"prompt": "A slide about tides", "size": (160, 90), **fields})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def data_url(data: bytes) -> str:
    return f"data:image/png;base64,{b64(data)}"


def colour(image: Image.Image) -> tuple[int, int, int]:
    return image.convert("RGB").getpixel((image.width // 2, image.height // 2))


def error(status: int, code: str, message: str, **headers: str) -> tuple[int, dict, dict]:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None}}
    body["error"]["code"] = code or None
    return status, headers, body


def chat(message: dict, finish: str = "stop") -> tuple[int, dict, dict]:
    choice = {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}
    return 200, {}, {"choices": [choice], "usage": {"total_tokens": 42}}


def form_parts(received: Received) -> list[tuple[str, str | None, bytes]]:
    """(field name, file name, content) of each part of a multipart/form-data body."""
    head = f"Content-Type: {received.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + received.body)
    return [
        (
            part.get_param("name", header="content-disposition"),
            part.get_filename(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    ]


# Images


def test_it_generates_from_base64_and_fits_the_requested_size(provider, server):
    usage = {"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210}
    server.script(
        (200, {}, {"data": [{"b64_json": b64(png((96, 64), "#00ff00"))}], "usage": usage})
    )

    result = provider.generate(slide_request(quality="hd"))

    (sent,) = server.received
    assert (sent.method, sent.path) == ("POST", "/v1/images/generations")
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.json() == {
        "model": IMAGE_MODEL,
        "prompt": "A slide about tides",
        "size": "1536x1024",
        "quality": "high",
        "n": 1,
    }
    assert result.image.size == (160, 90)
    assert colour(result.image) == (0, 255, 0)
    assert (result.provider, result.model, result.usage) == ("openai", IMAGE_MODEL, usage)


def test_it_downloads_an_image_served_by_url_without_the_key(provider, server):
    server.script(
        (200, {}, {"data": [{"url": f"{server.url}/files/slide.png"}]}),
        (200, {"Content-Type": "image/png"}, png((64, 64), "#0000ff")),
    )

    result = provider.generate(slide_request())

    download = server.received[1]
    assert (download.method, download.path) == ("GET", "/files/slide.png")
    assert "Authorization" not in download.headers
    assert colour(result.image) == (0, 0, 255)
    assert result.image.size == (160, 90)


def test_a_url_that_serves_no_image_is_transient(provider, server, caplog):
    server.script(
        (200, {}, {"data": [{"url": f"{server.url}/files/slide.png"}]}),
        (200, {"Content-Type": "text/html"}, "<html>sign in</html>"),
    )

    error_ = raises(ErrorKind.TRANSIENT, lambda: provider.generate(slide_request()), caplog)

    assert "not an image" in error_.message


def test_references_go_to_edits_as_repeated_image_parts(provider, server):
    server.script((200, {}, {"data": [{"b64_json": b64(png())}]}))
    template, other = png((8, 8), "#ff0000"), png((8, 8), "#0000ff")

    provider.generate(slide_request(size=(1024, 768), references=[template, other]))

    (sent,) = server.received
    assert sent.path == "/v1/images/edits"
    assert sent.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    parts = form_parts(sent)
    fields = {name: content.decode() for name, filename, content in parts if filename is None}
    assert fields == {
        "model": IMAGE_MODEL,
        "prompt": "A slide about tides",
        "size": "1536x1024",
        "quality": "medium",
    }
    images = [(name, content) for name, filename, content in parts if filename]
    assert [name for name, _ in images] == ["image[]", "image[]"]
    assert [content for _, content in images] == [template, other]


def test_a_reference_that_is_not_an_image_is_refused(provider, server, caplog):
    error_ = raises(
        ErrorKind.INVALID_REQUEST,
        lambda: provider.generate(slide_request(references=[b"%PDF-1.7"])),
        caplog,
    )

    assert "reference image 1 is not a readable image" in error_.message
    assert server.received == []


# Errors


def test_a_moderation_block_is_content_blocked(provider, server, caplog):
    server.script(
        error(400, "moderation_blocked", "Your request was rejected by the safety system.")
    )

    error_ = raises(ErrorKind.CONTENT_BLOCKED, lambda: provider.generate(slide_request()), caplog)

    assert "content moderation blocked the request" in error_.message
    assert "rejected by the safety system" in error_.message


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"retry-after": "12"}, 12.0), ({"retry-after-ms": "1500", "retry-after": "2"}, 1.5)],
)
def test_a_rate_limit_honours_the_retry_headers(provider, server, caplog, headers, seconds):
    server.script(error(429, "rate_limit_exceeded", f"Rate limit reached for {API_KEY}", **headers))

    error_ = raises(ErrorKind.RATE_LIMITED, lambda: provider.generate(slide_request()), caplog)

    assert error_.retry_after == seconds


def test_an_exhausted_account_is_not_retried_soon(provider, server, caplog):
    server.script(error(429, "insufficient_quota", "You exceeded your current quota."))

    error_ = raises(ErrorKind.RATE_LIMITED, lambda: provider.generate(slide_request()), caplog)

    assert error_.retry_after > MAX_WAIT_SECONDS
    assert "out of credit" in error_.message


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, ErrorKind.AUTH),
        (403, ErrorKind.AUTH),
        (400, ErrorKind.INVALID_REQUEST),
        (404, ErrorKind.INVALID_REQUEST),
        (422, ErrorKind.INVALID_REQUEST),
        (500, ErrorKind.TRANSIENT),
        (503, ErrorKind.TRANSIENT),
    ],
)
def test_http_errors_are_classified(provider, server, caplog, status, kind):
    server.script(error(status, "", f"Incorrect API key provided: {API_KEY}."))

    error_ = raises(kind, lambda: provider.generate(slide_request()), caplog)

    assert f"OpenAI: Incorrect API key provided: ***. (HTTP {status})" in error_.message


def test_an_html_error_page_is_classified_by_its_status(provider, server, caplog):
    server.script((502, {"Content-Type": "text/html"}, "<html>Bad gateway</html>"))

    error_ = raises(ErrorKind.TRANSIENT, lambda: provider.generate(slide_request()), caplog)

    assert error_.message == "OpenAI: Bad Gateway (HTTP 502)"


# Chat-completions images (gateways)


def test_a_gateway_returns_the_image_in_message_images(chat_provider, server):
    image = {"type": "image_url", "image_url": {"url": data_url(png(color="#00ff00"))}}
    server.script(chat({"content": "Here is your slide.", "images": [image]}))

    result = chat_provider.generate(slide_request(references=[png(color="#ff0000")]))

    (sent,) = server.received
    assert sent.path == "/v1/chat/completions"
    body = sent.json()
    assert body["model"] == IMAGE_MODEL
    assert body["modalities"] == ["image", "text"]
    text, reference = body["messages"][0]["content"]
    assert text == {"type": "text", "text": "A slide about tides"}
    assert reference["image_url"]["url"] == data_url(png(color="#ff0000"))
    assert colour(result.image) == (0, 255, 0)
    assert result.usage == {"total_tokens": 42}


def test_a_gateway_returns_the_image_in_a_content_list(chat_provider, server):
    content = [
        {"type": "text", "text": "Here is your slide."},
        {"type": "image_url", "image_url": {"url": data_url(png(color="#0000ff"))}},
    ]
    server.script(chat({"content": content}))

    result = chat_provider.generate(slide_request())

    assert colour(result.image) == (0, 0, 255)


def test_a_filtered_chat_answer_is_content_blocked(chat_provider, server, caplog):
    server.script(chat({"content": None}, finish="content_filter"))

    raises(ErrorKind.CONTENT_BLOCKED, lambda: chat_provider.generate(slide_request()), caplog)


# Planning steps


def test_it_describes_a_page_through_chat_completions(provider, server):
    server.script(chat({"content": json.dumps({"description": DESCRIPTION})}))

    text = provider.describe_page(PAGE, deck_title="Tides", params={"instruction": "Use a map."})

    assert text == DESCRIPTION
    (sent,) = server.received
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    body = sent.json()
    assert body["model"] == TEXT_MODEL
    assert body["response_format"] == {"type": "json_object"}
    assert "Use a map." in body["messages"][0]["content"]


def test_an_invalid_outline_is_asked_again_through_chat(provider, server):
    server.script(chat({"content": "Sure! Here it is:"}), chat({"content": json.dumps(OUTLINE)}))

    outline = provider.structure_outline("Tides", params={"fix": ["no_pages"]})

    assert outline["headings"] == ["Tides", "Pull"]
    assert outline["sections"][0]["pages"][0]["items"] == [
        {"title": "", "text": "Gravity", "children": []}
    ]
    first, second = (sent.json()["messages"][0]["content"] for sent in server.received)
    assert "There were no pages" in first
    assert "could not be used: not JSON" in second


def test_three_invalid_outlines_give_a_clear_error(provider, server, caplog):
    server.script(*[chat({"content": json.dumps({"title": "Tides"})})] * 3)

    error_ = raises(
        ErrorKind.INVALID_REQUEST, lambda: provider.structure_outline("Tides", params={}), caplog
    )

    assert error_.message == (
        "openai's text model gave no usable outline in 3 tries: "
        '"sections" must be a non-empty list'
    )


def test_a_refused_text_answer_is_content_blocked(provider, server, caplog):
    server.script(chat({"content": None, "refusal": "I can't help with that."}))

    error_ = raises(
        ErrorKind.CONTENT_BLOCKED,
        lambda: provider.describe_page(PAGE, deck_title="Tides", params={}),
        caplog,
    )

    assert "I can't help with that." in error_.message


def test_image_bytes_are_never_logged(provider, server, caplog):
    image = png((64, 64), "#123456")
    server.script((200, {}, {"data": [{"b64_json": b64(image)}]}))

    provider.generate(slide_request())

    assert "provider=openai model=gpt-image-1 status=200" in caplog.text
    assert b64(image)[:40] not in caplog.text

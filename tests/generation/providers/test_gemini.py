import base64
import io
import json
import os
import time

import pytest
from PIL import Image

from generation.planning.planner import compose_pages
from generation.providers.base import ErrorKind, ImageRequest
from generation.providers.gate import MAX_WAIT_SECONDS
from generation.providers.gemini import GeminiProvider
from generation.providers.gemini_requests import MAX_REFERENCE_BYTES, aspect_ratio
from tests.generation.providers.conftest import API_KEY, closed_port, png, raises

IMAGE_MODEL = "gemini-3-pro-image"
TEXT_MODEL = "gemini-3.8-flash"
PATH = f"/v1beta/models/{IMAGE_MODEL}:generateContent"
TEXT_PATH = f"/v1beta/models/{TEXT_MODEL}:generateContent"
PAGE = {
    "kind": "content",
    "title": "Why tides rise",
    "subtitle": "",
    "section": "Causes",
    "section_index": 1,
    "items": [{"title": "Gravity", "text": "The moon pulls the oceans.", "children": []}],
    "semanticFeatures": {"logicType": "classification", "contentType": "concept_explanation"},
    "language": "en",
}
DESCRIPTION = (
    "A content slide titled Why tides rise. The title sits top left in bold; below it one card "
    "names Gravity with the sentence The moon pulls the oceans. A diagram of the moon and the "
    "earth with a bulge of water fills the right half, with arrows for the pull."
)
OUTLINE = {
    "title": "Tides",
    "subtitle": "How the moon moves the sea",
    "language": "en",
    "sections": [
        {
            "title": "Causes",
            "items": [],
            "pages": [
                {
                    "title": "The moon's pull",
                    "items": [{"title": "Gravity", "text": "It pulls the sea.", "children": []}],
                }
            ],
        }
    ],
}


@pytest.fixture
def configure(server, settings):
    def configure(*, timeout: float = 2, api_key: str = API_KEY, base_url: str = "") -> None:
        settings.PROVIDER_SETTINGS = {
            "gemini": {
                "api_key": api_key,
                "base_url": base_url or server.url,
                "image_model": IMAGE_MODEL,
                "text_model": TEXT_MODEL,
            }
        }
        settings.PROVIDER_TIMEOUT_SECONDS = timeout

    return configure


@pytest.fixture
def provider(configure) -> GeminiProvider:
    configure()
    return GeminiProvider()


def slide_request(**fields: object) -> ImageRequest:
    return ImageRequest(**{"prompt": "A slide about tides", "size": (160, 90), **fields})


def inline(data: bytes, *, thought: bool = False) -> dict:
    part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}}
    return {**part, "thought": True} if thought else part


def answer(*parts: dict, finish: str = "STOP", **extra: object) -> tuple[int, dict, dict]:
    candidate = {"content": {"role": "model", "parts": list(parts)}, "finishReason": finish}
    return 200, {}, {"candidates": [candidate], **extra}


def text_answer(text: str) -> tuple[int, dict, dict]:
    return answer({"text": "Thinking about the layout.", "thought": True}, {"text": text})


def error(code: int, status: str, message: str, *details: dict) -> tuple[int, dict, dict]:
    body = {"error": {"code": code, "message": message, "status": status, "details": details}}
    return code, {}, body


def colour(image: Image.Image) -> tuple[int, int, int]:
    return image.getpixel((image.width // 2, image.height // 2))


def decoded(part: dict) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(part["inline_data"]["data"])))


# Images


def test_it_resizes_an_image_of_another_size_to_the_requested_size(provider, server):
    server.script(answer(inline(png((64, 64), "#00ff00"))))

    result = provider.generate(slide_request())

    assert result.image.size == (160, 90)
    assert result.image.mode == "RGB"
    assert colour(result.image) == (0, 255, 0)
    assert (result.provider, result.model, result.boxes) == ("gemini", IMAGE_MODEL, None)


def test_an_answer_of_the_size_asked_for_keeps_its_png_for_storing(provider, server):
    data = png((160, 90), "#00ff00")
    server.script(answer(inline(data)), answer(inline(png((64, 64), "#00ff00"))))

    kept, resized = provider.generate(slide_request()), provider.generate(slide_request())

    assert kept.png == data
    assert resized.png is None  # its pixels are not the answer's: the pipeline encodes them


def test_it_sends_the_prompt_settings_and_references_template_first(provider, server):
    server.script(answer(inline(png())))
    template, other = png((8, 8), "#ff0000"), png((8, 8), "#0000ff")

    provider.generate(slide_request(quality="hd", references=[template, other]))

    (sent,) = server.received
    assert (sent.method, sent.path) == ("POST", PATH)
    assert sent.headers["x-goog-api-key"] == API_KEY
    body = sent.json()
    parts = body["contents"][0]["parts"]
    assert body["contents"][0]["role"] == "user"
    assert parts[0] == {"text": "A slide about tides"}
    assert [part["inline_data"]["mime_type"] for part in parts[1:]] == ["image/png"] * 2
    assert [colour(decoded(part)) for part in parts[1:]] == [(255, 0, 0), (0, 0, 255)]
    assert body["generationConfig"] == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"},
    }


@pytest.mark.parametrize(
    ("quality", "params", "image_size"),
    [("standard", {}, "1K"), ("hd", {}, "2K"), ("hd", {"image_size": "4K"}, "4K")],
)
def test_it_asks_for_the_image_size_of_the_quality(provider, server, quality, params, image_size):
    server.script(answer(inline(png())))

    provider.generate(slide_request(quality=quality, params=params))

    assert server.received[0].json()["generationConfig"]["imageConfig"]["imageSize"] == image_size


@pytest.mark.parametrize(
    ("size", "ratio"),
    [((1536, 864), "16:9"), ((1024, 768), "4:3"), ((1536, 1024), "3:2"), ((2560, 1080), "21:9")],
)
def test_it_picks_the_nearest_aspect_ratio(size, ratio):
    assert aspect_ratio(size) == ratio


def test_the_last_image_that_is_not_a_thought_wins(provider, server):
    server.script(
        answer(
            {"text": "Sketching a draft.", "thought": True},
            inline(png(color="#ff0000"), thought=True),
            inline(png(color="#808080")),
            inline(png(color="#ffff00"), thought=True),
            {"text": "Here is the slide."},
            inline(png(color="#00ff00")),
        )
    )

    result = provider.generate(slide_request())

    assert colour(result.image) == (0, 255, 0)


def test_it_reads_a_snake_case_answer(provider, server):
    encoded = base64.b64encode(png(color="#0000ff")).decode()
    part = {"inline_data": {"mime_type": "image/png", "data": encoded}}
    body = {
        "candidates": [{"content": {"parts": [part]}, "finish_reason": "STOP"}],
        "usage_metadata": {"prompt_token_count": 12, "total_token_count": 1302},
    }
    server.script((200, {}, body))

    result = provider.generate(slide_request())

    assert colour(result.image) == (0, 0, 255)
    assert result.usage == {"promptTokenCount": 12, "totalTokenCount": 1302}


def test_it_records_the_usage(provider, server):
    usage = {"promptTokenCount": 560, "candidatesTokenCount": 1290, "totalTokenCount": 1850}
    server.script(answer(inline(png()), usageMetadata={**usage, "promptTokensDetails": []}))

    assert provider.generate(slide_request()).usage == usage


def test_it_logs_one_line_per_call_without_the_image(provider, server, caplog):
    image = png()
    server.script(answer(inline(image)))

    provider.generate(slide_request())

    (line,) = [r.getMessage() for r in caplog.records if "provider_call" in r.getMessage()]
    assert line.startswith(f"provider_call provider=gemini model={IMAGE_MODEL} status=200 ")
    assert line.endswith("outcome=ok")
    assert base64.b64encode(image).decode()[:40] not in caplog.text


# Answers without an image


def test_an_image_safety_stop_is_content_blocked_in_words(provider, server, caplog):
    server.script((200, {}, {"candidates": [{"finishReason": "IMAGE_SAFETY", "index": 0}]}))

    error = raises(ErrorKind.CONTENT_BLOCKED, lambda: provider.generate(slide_request()), caplog)

    assert "flagged by the image safety filters" in error.message
    assert "IMAGE_SAFETY" in error.message
    assert not error.retryable


def test_a_blocked_prompt_without_candidates_is_content_blocked(provider, server, caplog):
    server.script((200, {}, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}))

    error = raises(ErrorKind.CONTENT_BLOCKED, lambda: provider.generate(slide_request()), caplog)

    assert "prohibited content" in error.message


def test_a_text_only_answer_is_transient_and_quotes_the_model(provider, server, caplog):
    server.script(answer({"text": "I can only describe this slide."}))

    error = raises(ErrorKind.TRANSIENT, lambda: provider.generate(slide_request()), caplog)

    assert "I can only describe this slide." in error.message


def test_a_body_that_is_not_json_is_transient(provider, server, caplog):
    server.script((200, {"Content-Type": "application/json"}, '{"candidates": [{"conte'))

    error = raises(ErrorKind.TRANSIENT, lambda: provider.generate(slide_request()), caplog)

    assert "not a JSON object" in error.message


def test_an_image_that_is_not_an_image_is_transient(provider, server, caplog):
    server.script(answer(inline(b"<html>not a picture</html>")))

    error = raises(ErrorKind.TRANSIENT, lambda: provider.generate(slide_request()), caplog)

    assert "not a readable image" in error.message


# Errors


def test_a_rate_limit_honours_the_retry_delay(provider, server, caplog):
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "47s"}
    server.script(error(429, "RESOURCE_EXHAUSTED", f"Quota exceeded for key {API_KEY}.", retry))

    error_ = raises(ErrorKind.RATE_LIMITED, lambda: provider.generate(slide_request()), caplog)

    assert error_.retry_after == 47.0
    assert "outcome=rate_limited" in caplog.text


def test_a_daily_quota_is_not_retried_soon(provider, server, caplog):
    quota = {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
    }
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "21s"}
    server.script(error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", quota, retry))

    error_ = raises(ErrorKind.RATE_LIMITED, lambda: provider.generate(slide_request()), caplog)

    assert error_.retry_after >= 3600
    assert error_.retry_after > MAX_WAIT_SECONDS
    assert "daily quota" in error_.message


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        (503, "UNAVAILABLE", ErrorKind.TRANSIENT),
        (500, "INTERNAL", ErrorKind.TRANSIENT),
        (504, "DEADLINE_EXCEEDED", ErrorKind.TRANSIENT),
        (400, "INVALID_ARGUMENT", ErrorKind.INVALID_REQUEST),
        (404, "NOT_FOUND", ErrorKind.INVALID_REQUEST),
        (401, "UNAUTHENTICATED", ErrorKind.AUTH),
        (403, "PERMISSION_DENIED", ErrorKind.AUTH),
    ],
)
def test_http_errors_are_classified(provider, server, caplog, code, status, kind):
    server.script(error(code, status, f"Something about {API_KEY} went wrong."))

    error_ = raises(kind, lambda: provider.generate(slide_request()), caplog)

    assert f"HTTP {code} {status}" in error_.message
    assert "Something about *** went wrong." in error_.message


def test_an_invalid_api_key_is_an_auth_error(provider, server, caplog):
    info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
    server.script(
        error(400, "INVALID_ARGUMENT", f"API key not valid: {API_KEY}. Pass a valid key.", info)
    )

    error_ = raises(ErrorKind.AUTH, lambda: provider.generate(slide_request()), caplog)

    assert "GEMINI_API_KEY" in error_.message


def test_a_server_slower_than_the_timeout_is_transient(configure, server, caplog):
    configure(timeout=0.2)
    provider = GeminiProvider()

    def slow(_request):
        time.sleep(0.6)
        return answer(inline(png()))

    server.script(slow)

    error_ = raises(ErrorKind.TRANSIENT, lambda: provider.generate(slide_request()), caplog)

    assert "did not answer within 0.2 s" in error_.message


def test_an_unreachable_server_is_transient(configure, caplog):
    configure(base_url=f"http://127.0.0.1:{closed_port()}")

    error_ = raises(ErrorKind.TRANSIENT, lambda: GeminiProvider().generate(slide_request()), caplog)

    assert "could not reach gemini" in error_.message


def test_a_missing_key_is_an_auth_error_before_any_call(configure, server, caplog):
    configure(api_key="")

    error_ = raises(ErrorKind.AUTH, lambda: GeminiProvider().generate(slide_request()), caplog)

    assert "GEMINI_API_KEY" in error_.message
    assert server.received == []


# Reference images


def test_an_oversized_reference_is_sent_as_a_smaller_jpeg(provider, server):
    noise = Image.frombytes("RGB", (1600, 1600), os.urandom(1600 * 1600 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    assert buffer.tell() > MAX_REFERENCE_BYTES
    server.script(answer(inline(png())))

    provider.generate(slide_request(references=[buffer.getvalue(), png(color="#ff0000")]))

    parts = server.received[0].json()["contents"][0]["parts"]
    large, small = parts[1]["inline_data"], parts[2]["inline_data"]
    assert large["mime_type"] == "image/jpeg"
    assert len(base64.b64decode(large["data"])) <= MAX_REFERENCE_BYTES
    assert small["mime_type"] == "image/png"
    assert colour(decoded(parts[2])) == (255, 0, 0)


def test_references_beyond_the_models_limit_are_left_out(provider, server):
    """Nano Banana Pro takes up to 14 reference images: the first 14 of 15 are sent."""
    references = [png(color=f"#0000{n:02x}") for n in range(15)]
    server.script(answer(inline(png((160, 90)))))

    result = provider.generate(slide_request(references=references))

    parts = server.received[0].json()["contents"][0]["parts"]
    sent = [base64.b64decode(part["inline_data"]["data"]) for part in parts[1:]]
    assert sent == references[:14]
    assert result.cost_usd == pytest.approx(0.134 + 14 * 0.0011)


def test_a_reference_that_is_not_an_image_is_refused(provider, server, caplog):
    error_ = raises(
        ErrorKind.INVALID_REQUEST,
        lambda: provider.generate(slide_request(references=[png(), b"GIF? no"])),
        caplog,
    )

    assert "reference image 2 is not a readable image" in error_.message
    assert server.received == []


# Planning steps


def test_it_describes_a_page_with_the_text_model(provider, server):
    server.script(text_answer(json.dumps({"description": DESCRIPTION})))

    text = provider.describe_page(
        PAGE, deck_title="Tides", params={"detail": 2, "instruction": "Use a bar chart."}
    )

    assert text == DESCRIPTION
    (sent,) = server.received
    assert sent.path == TEXT_PATH
    assert sent.headers["x-goog-api-key"] == API_KEY
    body = sent.json()
    assert body["generationConfig"] == {"responseMimeType": "application/json"}
    (part,) = body["contents"][0]["parts"]
    assert "Why tides rise" in part["text"]
    assert "Use a bar chart." in part["text"]
    assert '{"description": "..."}' in part["text"]


def test_a_description_in_invalid_json_is_asked_again(provider, server, caplog):
    server.script(
        text_answer('{"description": "cut off'),
        text_answer(json.dumps({"description": DESCRIPTION})),
    )

    text = provider.describe_page(PAGE, deck_title="Tides", params={})

    assert text == DESCRIPTION
    retry_prompt = server.received[1].json()["contents"][0]["parts"][0]["text"]
    assert "Your previous answer could not be used: not JSON" in retry_prompt
    assert "provider_invalid_answer provider=gemini what=page description try=1" in caplog.text


def test_a_description_with_markdown_is_asked_again(provider, server):
    server.script(
        text_answer(json.dumps({"description": f"## Slide\n**{DESCRIPTION}**"})),
        text_answer(json.dumps({"description": DESCRIPTION})),
    )

    assert provider.describe_page(PAGE, deck_title="Tides", params={}) == DESCRIPTION
    assert "contains Markdown" in server.received[1].json()["contents"][0]["parts"][0]["text"]


def test_three_invalid_descriptions_give_a_clear_error(provider, server, caplog):
    server.script(*[text_answer('["not", "an", "object"]')] * 3)

    error_ = raises(
        ErrorKind.INVALID_REQUEST,
        lambda: provider.describe_page(PAGE, deck_title="Tides", params={}),
        caplog,
    )

    assert error_.message == (
        "gemini's text model gave no usable page description in 3 tries: not a JSON object"
    )
    assert len(server.received) == 3


def test_it_structures_an_outline_with_the_text_model(provider, server):
    server.script(text_answer(json.dumps(OUTLINE)))

    outline = provider.structure_outline("Tides, for a class of ten-year-olds", params={})

    assert outline == {
        **OUTLINE,
        "headings": ["Tides", "Causes", "The moon's pull"],
    }
    prompt = server.received[0].json()["contents"][0]["parts"][0]["text"]
    assert "Tides, for a class of ten-year-olds" in prompt
    assert "previous attempt" not in prompt


def test_it_mentions_what_a_weak_outline_lacked(provider, server):
    server.script(text_answer(json.dumps(OUTLINE)))

    provider.structure_outline("Tides", params={"fix": ["no_title", "empty_pages"]})

    prompt = server.received[0].json()["contents"][0]["parts"][0]["text"]
    assert "The deck had no title" in prompt
    assert "Some pages had no items" in prompt


def test_an_invalid_outline_then_a_valid_one_is_retried(provider, server):
    server.script(
        text_answer(json.dumps({**OUTLINE, "sections": "Causes"})),
        text_answer(json.dumps(OUTLINE)),
    )

    outline = provider.structure_outline("Tides", params={})

    assert outline["title"] == "Tides"
    retry_prompt = server.received[1].json()["contents"][0]["parts"][0]["text"]
    assert '"sections" must be a non-empty list' in retry_prompt


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        ({**OUTLINE, "title": " "}, 'the outline: "title" must not be empty'),
        ({**OUTLINE, "sections": [{"title": "Causes", "pages": []}]}, "the outline has no pages"),
        (
            {**OUTLINE, "sections": [{"pages": [{"title": "P", "items": [{"text": 3}]}]}]},
            'section 1, page 1, item 1: "text" must be a string',
        ),
    ],
)
def test_three_invalid_outlines_give_a_clear_error(provider, server, caplog, broken, problem):
    server.script(*[text_answer(json.dumps(broken))] * 3)

    error_ = raises(
        ErrorKind.INVALID_REQUEST, lambda: provider.structure_outline("Tides", params={}), caplog
    )

    assert error_.message.endswith(f"in 3 tries: {problem}")


def test_a_blocked_text_answer_is_content_blocked(provider, server, caplog):
    server.script((200, {}, {"candidates": [{"finishReason": "SAFETY"}]}))

    raises(
        ErrorKind.CONTENT_BLOCKED,
        lambda: provider.describe_page(PAGE, deck_title="Tides", params={}),
        caplog,
    )
    assert len(server.received) == 1


def test_planning_pages_needs_no_model_call(provider, server):
    outline = {**OUTLINE, "headings": ["Tides", "Causes", "The moon's pull"]}

    pages = provider.plan_pages(outline, params={"max_items_per_page": 4})

    assert pages == compose_pages(outline, max_items_per_page=4)
    assert server.received == []

"""The Gemini provider draws a slide: the request it sends (prompt, size, aspect ratio,
references within Gemini's limits) and the image it reads from the answer."""

import base64
import io
import os

import pytest
from PIL import Image

from generation.providers.base import ErrorKind
from generation.providers.gemini_requests import MAX_REFERENCE_BYTES, aspect_ratio
from tests.generation.providers.conftest import API_KEY, IMAGE_MODEL, png, raises
from tests.generation.providers.gemini_wire import (
    PATH,
    answer,
    colour,
    decoded,
    inline,
    slide_request,
)


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

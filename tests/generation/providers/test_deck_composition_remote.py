"""Deck composition with remote models, over real HTTP to a loopback server speaking Gemini's
wire format: options.language is the language the text model is asked to write in, and a
batch's own images (uploaded with it through the API) reach the image model after the
template's, the logo last, with a word on what they are."""

import base64
import io
import json

import pytest
from PIL import Image

from generation.models import Batch
from generation.render.renderer import render_slide
from generation.services.batches import batch_plan
from generation.services.pages import page_run
from generation.slides import Theme
from tests.factories import SlideTemplateFactory
from tests.generation.providers.conftest import gemini_settings

pytestmark = pytest.mark.django_db

ZH_OUTLINE = "# 季度回顾\n\n## 业绩\n### 收入\n- 增长20%\n\n## 下一步\n### 计划\n- 扩大市场\n"
EN_ANSWER = {
    "title": "Quarterly review",
    "subtitle": "",
    "language": "en",
    "sections": [
        {
            "title": "Results",
            "items": [],
            "pages": [{"title": "Revenue", "items": [{"title": "Up 20%"}]}],
        },
        {
            "title": "Next steps",
            "items": [],
            "pages": [{"title": "Plans", "items": [{"title": "Expand"}]}],
        },
    ],
}


@pytest.fixture
def gemini(server, settings):
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "gemini": gemini_settings(server),
    }
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False, "TRANSIENT_BACKOFF": [0.0]}
    SlideTemplateFactory(slug="business")
    return server


def text_answer(data: dict) -> tuple[int, dict, dict]:
    text = json.dumps(data, ensure_ascii=False)
    candidate = {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
    return 200, {}, {"candidates": [candidate]}


def image_answer(plan: dict) -> tuple[int, dict, dict]:
    buffer = io.BytesIO()
    render_slide(plan, Theme(), (1536, 864)).image.save(buffer, "PNG")
    data = {"mimeType": "image/png", "data": base64.b64encode(buffer.getvalue()).decode()}
    candidate = {"content": {"role": "model", "parts": [{"inlineData": data}]}}
    return 200, {}, {"candidates": [{**candidate, "finishReason": "STOP"}]}


def png_upload(name: str, colour: str, size: tuple[int, int] = (64, 48)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def prompt_of(request) -> str:
    return request.json()["contents"][0]["parts"][0]["text"]


def sent_colours(request) -> list[tuple[int, int, int]]:
    parts = request.json()["contents"][0]["parts"][1:]
    colours = []
    for part in parts:
        data = base64.b64decode(part["inline_data"]["data"])
        colours.append(Image.open(io.BytesIO(data)).convert("RGB").getpixel((2, 2)))
    return colours


def test_language_en_asks_the_text_model_for_english_and_the_deck_adds_english_words(api, gemini):
    gemini.script(text_answer(EN_ANSWER), text_answer({"description": "A cover slide."}))
    body = {"outline": ZH_OUTLINE, "template": "business"}
    options = {"text_provider": "gemini", "language": "en"}
    response = api.post("/api/v1/batches/", {**body, "options": options}, format="json")
    batch = batch_plan(batch=Batch.objects.get(pk=response.json()["id"]))

    outline_prompt = prompt_of(gemini.received[0])
    assert "Write in English, translating what the input says in another language" in outline_prompt
    titles = list(batch.pages.order_by("index").values_list("title", flat=True))
    assert titles == [
        "Quarterly review",
        "Contents",
        "Results",
        "Revenue",
        "Next steps",
        "Plans",
        "Thank you",
    ]
    page_run(page=batch.pages.get(index=1))
    assert "plain text in English" in prompt_of(gemini.received[1])


def test_language_auto_asks_the_text_model_for_the_language_of_the_input(api, gemini):
    gemini.script(text_answer({**EN_ANSWER, "language": "zh"}))
    options = {"text_provider": "gemini"}
    response = api.post(
        "/api/v1/batches/",
        {"outline": ZH_OUTLINE, "template": "business", "options": options},
        format="json",
    )
    batch = batch_plan(batch=Batch.objects.get(pk=response.json()["id"]))

    assert "Write in the language of the input." in prompt_of(gemini.received[0])
    assert batch.pages.order_by("index").last().title == "谢谢"


def test_the_batch_images_go_to_the_image_model_after_the_templates_logo_last(api, gemini):
    response = api.post(
        "/api/v1/batches/",
        {
            "outline": "# Launch\n\n### Goals\n- Ship\n",
            "template": "business",
            "options": json.dumps({"provider": "gemini"}),
            "logo": png_upload("logo.png", "#0000ff"),
            "reference_images": [png_upload("phone.png", "#ff0000")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    batch = batch_plan(batch=Batch.objects.get(pk=response.json()["id"]))
    cover, page = batch.pages.get(index=1), batch.pages.get(index=2)
    gemini.script(image_answer(cover.plan), image_answer(page.plan))

    page_run(page=cover)
    page_run(page=page)

    template_colour = (0xDF, 0xE7, 0xF2)  # the factory's reference image (a JPEG)
    for request in gemini.received:
        first, *own = sent_colours(request)
        assert max(abs(a - b) for a, b in zip(first, template_colour, strict=True)) <= 3
        assert own == [(255, 0, 0), (0, 0, 255)]
    cover_prompt, page_prompt = (prompt_of(request) for request in gemini.received)
    assert "The 1 photo(s) after the template's reference images" in cover_prompt
    assert "show the first on this cover slide" in cover_prompt
    assert "use them where they fit" in page_prompt
    assert "The last reference image is the presenter's logo" in page_prompt

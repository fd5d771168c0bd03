"""A page rendered by a remote image model through the whole step loop, over real HTTP:
the OCR check catches wrong text and the retry asks again with the text spelled out,
a larger image and another seed."""

import base64
import io

import pytest

from generation.models import StepRun
from generation.render.renderer import render_slide
from generation.services.batches import batch_plan
from generation.services.pages import page_run
from generation.slides import Theme
from tests.factories import SlideTemplateFactory, make_batch
from tests.generation.providers.conftest import gemini_settings

pytestmark = [pytest.mark.django_db, pytest.mark.ocr]


def png_answer(plan: dict) -> tuple[int, dict, dict]:
    buffer = io.BytesIO()
    render_slide(plan, Theme(), (1536, 864)).image.save(buffer, "PNG")
    part = {
        "inlineData": {
            "mimeType": "image/png",
            "data": base64.b64encode(buffer.getvalue()).decode(),
        }
    }
    candidate = {"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}
    return 200, {}, {"candidates": [candidate], "usageMetadata": {"totalTokenCount": 1290}}


def test_wrong_text_from_the_model_is_retried_with_the_text_spelled_out(server, settings):
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "gemini": gemini_settings(server),
    }
    batch = batch_plan(batch=make_batch(options={"provider": "gemini"}))
    page = batch.pages.get(index=4)
    wrong = {
        **page.plan,
        "title": "Quarterly revenue forecast",
        "items": [{"title": "Unrelated words", "text": "", "children": []}],
    }
    server.script(png_answer(wrong), png_answer(page.plan))

    page_run(page=page)

    first, second = StepRun.objects.filter(page=page, step="render").order_by("attempt")
    assert "ocr_mismatch" in first.hints
    assert first.score < 7
    assert second.passed
    assert second.selected
    retry = server.received[1].json()
    prompt = retry["contents"][0]["parts"][0]["text"]
    assert "The slide must show exactly this text" in prompt
    assert page.plan["title"] in prompt
    assert retry["generationConfig"]["imageConfig"]["imageSize"] == "2K"
    assert retry["generationConfig"]["seed"] == 1
    assert second.cost_usd == pytest.approx(0.134 + 0.0011)  # one 2K image, one reference image
    assert second.output_data["usage"]["totalTokenCount"] == 1290


def test_batches_that_choose_different_image_models_never_share_a_cached_image(server, settings):
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "gemini": gemini_settings(server),
    }
    template = SlideTemplateFactory()
    pro, flash, pro_again = (
        batch_plan(
            batch=make_batch(template=template, options={"provider": "gemini", "model": model})
        ).pages.get(index=4)
        for model in (
            "gemini-3-pro-image",
            "gemini-3.1-flash-image",
            "gemini-3-pro-image",
        )
    )
    server.script(png_answer(pro.plan), png_answer(flash.plan))

    for page in (pro, flash, pro_again):
        page_run(page=page)

    paths = [request.path for request in server.received]
    assert paths == [
        "/v1beta/models/gemini-3-pro-image:generateContent",
        "/v1beta/models/gemini-3.1-flash-image:generateContent",
    ]
    renders = {
        page: StepRun.objects.get(page=page, step="render", selected=True)
        for page in (pro, flash, pro_again)
    }
    assert (renders[flash].cache_hit, renders[flash].model) == (False, "gemini-3.1-flash-image")
    # The same model again shares the first image: the key still finds what it should.
    assert (renders[pro_again].cache_hit, renders[pro_again].model) == (
        True,
        "gemini-3-pro-image",
    )

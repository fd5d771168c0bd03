"""Regenerating a page drawn by an image model, through the API, against loopback servers
speaking each provider's wire format: `refine` sends the page's image first among the
reference images with the instruction and the page's text, `redraw` adds the instruction to the
prompt, and the new image is the page's. Edits are for the local renderer (400 here)."""

import base64
import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image, ImageChops

from generation.models import Page, PageStatus, StepRun
from generation.render.renderer import render_slide
from generation.services.batches import batch_plan
from generation.services.pages import page_run
from generation.slides import Theme
from tests.factories import make_batch
from tests.generation.providers.conftest import remote_provider_settings
from tests.generation.providers.test_kie_flow import PUBLIC, callback, deliver
from tests.generation.providers.test_openai import form_parts

pytestmark = pytest.mark.django_db

INSTRUCTION = "make the background dark blue"


@pytest.fixture(autouse=True)
def remote(server, settings):
    settings.PROVIDER_SETTINGS = {**settings.PROVIDER_SETTINGS, **remote_provider_settings(server)}
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.PROVIDER_TIMEOUT_SECONDS = 5
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}


def slide_png(plan: dict, background: str = "#ffffff") -> bytes:
    buffer = io.BytesIO()
    theme = Theme.from_palette([background, "#1f3a5f", "#e07a24", "#222222", "#6b7280"])
    render_slide(plan, theme, (1536, 864)).image.save(buffer, "PNG")
    return buffer.getvalue()


def gemini_answer(png: bytes) -> tuple[int, dict, dict]:
    part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()}}
    candidate = {"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}
    return 200, {}, {"candidates": [candidate]}


def openai_answer(png: bytes) -> tuple[int, dict, dict]:
    return 200, {}, {"data": [{"b64_json": base64.b64encode(png).decode()}]}


def same_image(data: bytes, name: str) -> bool:
    with default_storage.open(name, "rb") as handle:
        stored = Image.open(handle).convert("RGB")
    sent = Image.open(io.BytesIO(data)).convert("RGB").resize(stored.size)
    difference = ImageChops.difference(stored, sent).convert("L")
    return max(difference.getextrema()) <= 8


def regenerate(api, page: Page, payload: dict):
    return api.post(f"/api/v1/pages/{page.pk}/regenerate/", payload, format="json")


def render_runs(page: Page) -> list[StepRun]:
    return list(StepRun.objects.filter(page=page, step="render").order_by("attempt"))


def test_gemini_refine_edits_the_pages_image(api, user, server):
    page = batch_plan(batch=make_batch(owner=user, options={"provider": "gemini"})).pages.get(
        index=2
    )
    server.script(gemini_answer(slide_png(page.plan)))
    page = page_run(page=page)
    old_image = page.image.name
    server.script(gemini_answer(slide_png(page.plan, background="#0b1f4d")))

    response = regenerate(
        api, page, {"from_step": "render", "mode": "refine", "instruction": INSTRUCTION}
    )
    assert response.status_code == 202, response.json()
    page = page_run(page=Page.objects.get(pk=page.pk))

    sent = server.received[-1].json()["contents"][0]["parts"]
    prompt, images = sent[0]["text"], [part["inline_data"]["data"] for part in sent[1:]]
    assert INSTRUCTION in prompt
    assert "Edit the first image" in prompt
    assert page.plan["title"] in prompt  # the page's text, spelled out
    assert len(images) == 2  # the page's image, then the template's
    assert same_image(base64.b64decode(images[0]), old_image)
    first, second = render_runs(page)
    assert first.params.get("mode") is None
    assert second.selected
    assert second.params["mode"] == "refine"
    assert second.requested_by == f"user:{user.pk}"
    assert page.status == PageStatus.COMPLETED
    assert page.image.name != old_image
    assert not same_image(slide_png(page.plan), page.image.name)  # the new, darker slide
    version = api.get(f"/api/v1/pages/{page.pk}/versions/").json()["results"][-1]
    assert (version["instruction"], version["edits"]) == (INSTRUCTION, None)


def test_gemini_redraw_adds_the_instruction_to_the_prompt(api, user, server):
    page = batch_plan(batch=make_batch(owner=user, options={"provider": "gemini"})).pages.get(
        index=2
    )
    server.script(gemini_answer(slide_png(page.plan)))
    page = page_run(page=page)
    first_prompt = server.received[-1].json()["contents"][0]["parts"][0]["text"]
    server.script(gemini_answer(slide_png(page.plan, background="#0b1f4d")))

    assert (
        regenerate(api, page, {"from_step": "render", "instruction": INSTRUCTION}).status_code
        == 202
    )
    page_run(page=Page.objects.get(pk=page.pk))

    sent = server.received[-1].json()["contents"][0]["parts"]
    assert sent[0]["text"] == first_prompt + "\nAlso follow this instruction: " + INSTRUCTION
    assert len(sent) == 2  # the template's reference image only: nothing to edit
    assert render_runs(page)[-1].params["mode"] == "redraw"


def test_openai_refine_sends_the_pages_image_first_to_images_edits(api, user, server):
    page = batch_plan(batch=make_batch(owner=user, options={"provider": "openai"})).pages.get(
        index=2
    )
    server.script(openai_answer(slide_png(page.plan)))
    page = page_run(page=page)
    old_image = page.image.name
    server.script(openai_answer(slide_png(page.plan, background="#0b1f4d")))

    response = regenerate(
        api, page, {"from_step": "render", "mode": "refine", "instruction": INSTRUCTION}
    )
    assert response.status_code == 202
    page = page_run(page=Page.objects.get(pk=page.pk))

    received = server.received[-1]
    assert received.path.endswith("/images/edits")
    parts = form_parts(received)
    fields = {name: content for name, filename, content in parts if filename is None}
    images = [content for name, _, content in parts if name == "image[]"]
    assert INSTRUCTION in fields["prompt"].decode()
    assert len(images) == 2
    assert same_image(images[0], old_image)
    assert page.image.name != old_image
    assert render_runs(page)[-1].selected


def test_kie_refine_goes_to_its_edit_model_with_signed_links(api, user, server, client):
    page = batch_plan(batch=make_batch(owner=user, options={"provider": "kie"})).pages.get(index=2)
    server.script((200, {}, {"code": 200, "msg": "success", "data": {"taskId": "task-1"}}))
    page_run(page=page)
    server.script((200, {"Content-Type": "image/png"}, slide_png(page.plan)))
    assert deliver(client, callback(server)).status_code == 200
    page = page_run(page=Page.objects.get(pk=page.pk))
    old_image = page.image.name
    server.script((200, {}, {"code": 200, "msg": "success", "data": {"taskId": "task-2"}}))

    response = regenerate(
        api, page, {"from_step": "render", "mode": "refine", "instruction": INSTRUCTION}
    )
    assert response.status_code == 202
    page_run(page=Page.objects.get(pk=page.pk))

    sent = server.received[-1].json()
    assert sent["model"] == "google/nano-banana-edit"
    assert INSTRUCTION in sent["input"]["prompt"]
    assert sent["input"]["image_size"] == "16:9"
    first, template = sent["input"]["image_urls"]
    assert template.startswith(f"{PUBLIC}/media/signed/")
    assert template != first
    assert first.startswith(f"{PUBLIC}/media/signed/")
    fetched = client.get(first.removeprefix(PUBLIC))
    assert same_image(b"".join(fetched.streaming_content), old_image)
    server.script((200, {"Content-Type": "image/png"}, slide_png(page.plan, "#0b1f4d")))
    assert deliver(client, callback(server, taskId="task-2")).status_code == 200
    page = page_run(page=Page.objects.get(pk=page.pk))
    last = render_runs(page)[-1]
    assert (last.model, last.selected, last.params["mode"]) == (
        "google/nano-banana-edit",
        True,
        "refine",
    )
    assert page.image.name != old_image


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"edits": {"title": "New"}}, "edits"),
        ({"mode": "refine"}, "instruction"),
        ({"mode": "paint", "instruction": INSTRUCTION}, "mode"),
    ],
)
def test_requests_an_image_model_cannot_follow_are_refused(api, user, server, payload, field):
    page = batch_plan(batch=make_batch(owner=user, options={"provider": "gemini"})).pages.get(
        index=2
    )
    server.script(gemini_answer(slide_png(page.plan)))
    page = page_run(page=page)

    response = regenerate(api, page, payload)

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == [field]
    fresh = Page.objects.get(pk=page.pk)
    assert (fresh.status, fresh.regeneration, fresh.instruction) == (PageStatus.COMPLETED, {}, "")


def test_refine_needs_an_image_to_edit(api, user):
    page = batch_plan(batch=make_batch(owner=user, options={"provider": "gemini"})).pages.get(
        index=2
    )
    Page.objects.filter(pk=page.pk).update(status=PageStatus.FAILED)

    response = regenerate(api, page, {"mode": "refine", "instruction": INSTRUCTION})

    assert response.status_code == 400
    assert "has none yet: use redraw" in response.json()["error"]["message"]
    assert Page.objects.get(pk=page.pk).regeneration == {}

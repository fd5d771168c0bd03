"""Single images with remote providers, over real HTTP to a loopback server speaking each wire
format (issue 14): text mode is a plain generation with the prompt and the template's style
hint and no reference image; image mode sends the user's upload as the reference (Gemini
inline parts, OpenAI images/edits, kie's edit model with a signed link)."""

import base64
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from generation.models import Batch, StepRun
from generation.tasks import run_page
from tests.factories import SlideTemplateFactory
from tests.generation.providers.conftest import png, remote_provider_settings
from tests.generation.providers.test_kie_flow import PUBLIC, callback, deliver
from tests.generation.providers.test_openai import form_parts

pytestmark = pytest.mark.django_db

PROMPT = "A red bicycle leaning on a yellow wall"
UPLOAD_COLOUR = (12, 200, 90)


@pytest.fixture(autouse=True)
def remote(server, settings):
    settings.PROVIDER_SETTINGS = {**settings.PROVIDER_SETTINGS, **remote_provider_settings(server)}
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.PROVIDER_TIMEOUT_SECONDS = 5
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False, "TRANSIENT_BACKOFF": [0.0]}
    SlideTemplateFactory(slug="warm", style="warm editorial", palette=["#fbf7f0", "#1f3a5f"])


def drawing(size=(640, 360)) -> bytes:
    image = Image.effect_noise(size, 60).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def gemini_answer() -> tuple[int, dict, dict]:
    part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(drawing()).decode()}}
    return 200, {}, {"candidates": [{"content": {"parts": [part]}, "finishReason": "STOP"}]}


def openai_answer() -> tuple[int, dict, dict]:
    return 200, {}, {"data": [{"b64_json": base64.b64encode(drawing()).decode()}]}


def upload(api) -> str:
    file = SimpleUploadedFile("me.png", png((120, 80), "#0cc85a"), content_type="image/png")
    response = api.post("/api/v1/uploads/", {"files": [file]}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["uploads"][0]["id"]


def create_and_run(api, **body) -> dict:
    response = api.post("/api/v1/images/", {"prompt": PROMPT, **body}, format="json")
    assert response.status_code == 202, response.content
    run_page(Batch.objects.get(pk=response.json()["id"]).pages.get().pk)
    return api.get(f"/api/v1/images/{response.json()['id']}/").json()


def colour_of(data: bytes) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(data)).convert("RGB").getpixel((5, 5))


def near(colour, expected, tolerance=6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def test_gemini_text_mode_sends_the_prompt_and_style_and_no_image(api, server):
    server.script(gemini_answer())
    image = create_and_run(api, provider="gemini", aspect_ratio="16:9", size="2K")
    sent = server.received[-1]
    assert sent.path == "/v1beta/models/gemini-3-pro-image:generateContent"
    parts = sent.json()["contents"][0]["parts"]
    assert len(parts) == 1
    assert PROMPT in parts[0]["text"]
    assert "Style: warm editorial" in parts[0]["text"]
    assert sent.json()["generationConfig"]["imageConfig"] == {
        "aspectRatio": "16:9",
        "imageSize": "2K",
    }
    assert image["status"] == "completed"
    assert (image["provider"], image["model"]) == ("gemini", "gemini-3-pro-image")
    assert image["width"] / image["height"] == pytest.approx(16 / 9, rel=0.01)
    assert image["cost_usd"] > 0
    run = StepRun.objects.get(step="render")
    assert run.passed
    assert run.metrics["ocr_skipped"] == "disabled"


def test_gemini_image_mode_sends_my_upload_inline(api, server):
    upload_id = upload(api)
    server.script(gemini_answer())
    image = create_and_run(api, provider="gemini", mode="image", references=[upload_id])
    parts = server.received[-1].json()["contents"][0]["parts"]
    assert "reference image" in parts[0]["text"]
    assert PROMPT in parts[0]["text"]
    assert len(parts) == 2
    assert near(colour_of(base64.b64decode(parts[1]["inline_data"]["data"])), UPLOAD_COLOUR)
    assert image["status"] == "completed"


def test_openai_text_mode_uses_images_generations(api, server):
    server.script(openai_answer())
    image = create_and_run(api, provider="openai", aspect_ratio="2:3")
    sent = server.received[-1]
    assert sent.path == "/v1/images/generations"
    assert PROMPT in sent.json()["prompt"]
    assert sent.json()["size"] == "1024x1536"
    assert image["status"] == "completed"


def test_openai_image_mode_uses_images_edits_with_my_upload(api, server):
    upload_id = upload(api)
    server.script(openai_answer())
    image = create_and_run(api, provider="openai", mode="image", references=[upload_id])
    sent = server.received[-1]
    assert sent.path == "/v1/images/edits"
    parts = form_parts(sent)
    files = [content for name, filename, content in parts if name == "image[]"]
    assert len(files) == 1
    assert near(colour_of(files[0]), UPLOAD_COLOUR)
    prompt = next(content for name, _, content in parts if name == "prompt").decode()
    assert PROMPT in prompt
    assert image["status"] == "completed"


def test_kie_image_mode_goes_to_the_edit_model_with_a_signed_link(api, server, client):
    upload_id = upload(api)
    server.script((200, {}, {"code": 200, "msg": "success", "data": {"taskId": "task-1"}}))
    response = api.post(
        "/api/v1/images/",
        {"prompt": PROMPT, "provider": "kie", "mode": "image", "references": [upload_id]},
        format="json",
    )
    batch = Batch.objects.get(pk=response.json()["id"])
    run_page(batch.pages.get().pk)
    sent = server.received[-1].json()
    assert sent["model"] == "google/nano-banana-edit"
    assert PROMPT in sent["input"]["prompt"]
    (link,) = sent["input"]["image_urls"]
    assert link.startswith(f"{PUBLIC}/media/signed/")
    fetched = client.get(link.removeprefix(PUBLIC))
    assert near(colour_of(b"".join(fetched.streaming_content)), UPLOAD_COLOUR)

    server.script((200, {"Content-Type": "image/png"}, drawing()))
    assert deliver(client, callback(server)).status_code == 200
    run_page(batch.pages.get().pk)
    image = api.get(f"/api/v1/images/{batch.pk}/").json()
    assert image["status"] == "completed"
    assert image["model"] == "google/nano-banana-edit"


def test_kie_text_mode_uses_its_image_model_without_references(api, server):
    server.script((200, {}, {"code": 200, "msg": "success", "data": {"taskId": "task-9"}}))
    api.post("/api/v1/images/", {"prompt": PROMPT, "provider": "kie"}, format="json")
    run_page(Batch.objects.get().pages.get().pk)
    sent = server.received[-1].json()
    assert sent["model"] == "nano-banana-pro"
    assert sent["input"]["image_input"] == []
    assert sent["input"]["aspect_ratio"] == "1:1"


def test_gemini_refine_of_an_image_sends_it_first_with_the_instruction(api, server):
    server.script(gemini_answer())
    image = create_and_run(api, provider="gemini")
    page = Batch.objects.get(pk=image["id"]).pages.get()
    server.script(gemini_answer())
    response = api.post(
        f"/api/v1/pages/{page.pk}/regenerate/",
        {"mode": "refine", "instruction": "make the wall blue"},
        format="json",
    )
    assert response.status_code == 202, response.content
    run_page(page.pk)
    parts = server.received[-1].json()["contents"][0]["parts"]
    assert "make the wall blue" in parts[0]["text"]
    assert len(parts) == 2  # the image being refined; text mode has no uploads
    assert api.get(f"/api/v1/images/{image['id']}/").json()["status"] == "completed"

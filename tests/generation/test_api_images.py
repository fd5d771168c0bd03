"""Single images (issue 14): POST /api/v1/images/ makes a one-page batch of kind image that a
worker draws through the deck engine (render + finish, attempts, checks, cost); the gallery
lists my images only, newest first, filtered by mode and prompt words; DELETE removes the
files. Bad input is a 400 in the one error shape with nothing stored. The remote providers'
side is in providers/test_images_remote.py."""

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import Batch, Page, StepPolicy, StepRun, Upload
from generation.policies import POLICY_DEFAULTS
from generation.tasks import run_page
from review.models import ReviewItem
from tests.api_errors import error_of
from tests.factories import SlideTemplateFactory, UserFactory, make_batch

pytestmark = pytest.mark.django_db

IMAGES, UPLOADS = "/api/v1/images/", "/api/v1/uploads/"


@pytest.fixture(autouse=True)
def template():
    return SlideTemplateFactory(
        slug="warm", style="warm editorial", palette=["#fbf7f0", "#1f3a5f", "#e07a24"]
    )


def picture(colour=(30, 120, 200), size=(300, 200)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, colour)
    image.paste((240, 200, 40), (0, 0, size[0] // 2, size[1]))
    image.save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def upload(api) -> str:
    response = api.post(UPLOADS, {"files": [picture()]}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["uploads"][0]["id"]


def create(api, **body):
    return api.post(IMAGES, {"prompt": "A lighthouse at dawn", **body}, format="json")


def drawn(api, **body) -> dict:
    """Create an image, run its page as a worker would, and read it back."""
    response = create(api, **body)
    assert response.status_code == 202, response.content
    image_id = response.json()["id"]
    run_page(Batch.objects.get(pk=image_id).pages.get().pk)
    return api.get(f"{IMAGES}{image_id}/").json()


def batch_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "batches"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def fetch(client, url: str) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def test_text_to_image_with_the_local_provider(api, client):
    response = create(api, aspect_ratio="16:9")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "running"
    assert body["mode"] == "text"
    assert body["image"] is None
    assert response["Location"] == body["links"]["self"]
    batch = Batch.objects.get(pk=body["id"])
    assert batch.kind == "image"
    page = batch.pages.get()
    assert (page.kind, page.resume_step) == ("image", "render")
    assert "warm editorial" in page.image_prompt

    run_page(page.pk)
    image = api.get(f"{IMAGES}{body['id']}/").json()
    assert image["status"] == "completed"
    assert (image["provider"], image["model"]) == ("local", "nanodeck-local-1")
    assert (image["width"], image["height"]) == (1360, 768)
    assert image["template"] == "warm"
    assert image["cost_usd"] == 0.0
    assert fetch(client, image["image"]).size == (1360, 768)
    assert fetch(client, image["thumbnail"]).width == 300
    render = StepRun.objects.get(page=page, step="render")
    assert render.passed
    assert render.metrics["size_ok"]
    assert not render.metrics["blank"]
    assert render.output_data["layout"] == "poster"
    assert [box["role"] for box in render.output_data["boxes"]] == ["title", "label"]


def test_image_to_image_restyles_my_upload(api, client):
    upload_id = upload(api)
    image = drawn(
        api, mode="image", references=[upload_id], aspect_ratio="3:4", prompt="我们的团队"
    )
    assert image["status"] == "completed"
    assert image["mode"] == "image"
    assert len(image["references"]) == 1
    drawn_image = fetch(client, image["image"])
    assert drawn_image.size == (image["width"], image["height"])
    assert image["width"] < image["height"]
    render = StepRun.objects.get(page__batch_id=image["id"], step="render")
    assert render.output_data["layout"] == "restyle"
    assert render.output_data["boxes"][0]["text"] == "我们的团队"
    # The photo's two halves (yellow, blue) show through the palette's tone.
    top_left = drawn_image.getpixel((10, 10))
    top_right = drawn_image.getpixel((drawn_image.width - 10, 10))
    assert top_left != top_right
    assert Upload.objects.get().used_at is not None


def test_the_same_request_again_is_served_from_the_cache(api):
    first = drawn(api)
    second = drawn(api)
    assert first["status"] == second["status"] == "completed"
    runs = StepRun.objects.filter(step="render").order_by("started_at")
    assert [run.cache_hit for run in runs] == [False, True]


def test_mode_image_needs_a_reference(api, settings):
    error = error_of(create(api, mode="image"), 400)
    assert "at least one reference" in error["message"]
    assert not Batch.objects.exists()
    assert batch_files(settings) == []


def test_another_users_upload_is_refused_and_nothing_is_stored(api, settings):
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    foreign = upload(other)
    error = error_of(create(api, mode="image", references=[foreign]), 400)
    assert foreign in error["message"]
    assert not Batch.objects.exists()
    assert batch_files(settings) == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"mode": "video"}, "mode"),
        ({"aspect_ratio": "7:5"}, "aspect_ratio '7:5'"),
        ({"aspect_ratio": "16x9"}, "aspect_ratio '16x9'"),
        ({"size": "8K"}, "size"),
        ({"prompt": ""}, "the prompt is empty"),
        ({"prompt": "   "}, "the prompt is empty"),
        ({"prompt": "x" * 2001}, "2001 characters; the limit is 2000"),
        ({"prompt": 12}, "prompt"),
        ({"provider": "nope"}, "unknown provider 'nope'"),
        ({"template": "missing"}, "template"),
        ({"references": ["not-a-uuid"]}, "references"),
        ({"references": ["5b4c0b52-5d6f-4bd4-9a55-0c4a1b0a0a0a"]}, "no upload of yours"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_bad_input_is_a_400_and_stores_nothing(api, settings, body, words):
    error = error_of(create(api, **body), 400)
    assert words in error["message"] + str(error.get("details"))
    assert not Batch.objects.exists()
    assert not Page.objects.exists()
    assert batch_files(settings) == []


def test_text_mode_takes_no_references(api):
    error = error_of(create(api, references=[upload(api)]), 400)
    assert "mode 'image'" in error["message"]


def test_a_2000_character_prompt_is_accepted(api):
    assert create(api, prompt="y" * 2000).status_code == 202


def test_a_gemini_model_is_held_to_its_own_sizes_and_ratios(api, settings):
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "gemini": {**settings.PROVIDER_SETTINGS["gemini"], "api_key": "test-key"},
    }
    error = error_of(
        create(api, provider="gemini", model="gemini-3-pro-image", aspect_ratio="1:8"), 400
    )
    assert "gemini-3-pro-image" in error["message"]
    error = error_of(
        create(api, provider="gemini", model="gemini-3.1-flash-lite-image", size="2K"), 400
    )
    assert "choose one of 1K" in error["message"]
    accepted = create(api, provider="gemini", model="gemini-3.1-flash-image", aspect_ratio="1:8")
    assert accepted.status_code == 202, accepted.content


def test_the_gallery_is_mine_newest_first_and_filters(api):
    upload_id = upload(api)
    create(api, prompt="Red apples on a table")
    create(api, prompt="Blue whale in deep water")
    create(api, prompt="Apple blossom", mode="image", references=[upload_id])
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    create(other, prompt="Someone else's apple")

    prompts = [image["prompt"] for image in api.get(IMAGES).json()["results"]]
    assert prompts == ["Apple blossom", "Blue whale in deep water", "Red apples on a table"]
    by_mode = api.get(IMAGES, {"mode": "image"}).json()["results"]
    assert [image["prompt"] for image in by_mode] == ["Apple blossom"]
    by_words = api.get(IMAGES, {"q": "apple"}).json()["results"]
    assert [image["prompt"] for image in by_words] == ["Apple blossom", "Red apples on a table"]
    assert api.get(IMAGES, {"q": "apple table"}).json()["count"] == 1
    paged = api.get(IMAGES, {"page_size": 2, "page": 2}).json()
    assert (paged["count"], len(paged["results"])) == (3, 1)
    error_of(api.get(IMAGES, {"mode": "video"}), 400)


def test_another_users_image_is_a_404(api):
    image_id = create(api).json()["id"]
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    error_of(other.get(f"{IMAGES}{image_id}/"), 404)
    error_of(other.delete(f"{IMAGES}{image_id}/"), 404)
    assert Batch.objects.filter(pk=image_id).exists()


def test_a_deck_is_not_an_image(api):
    deck = make_batch(owner=UserFactory(username="deckowner"))
    error_of(api.get(f"{IMAGES}{deck.pk}/"), 404)


def test_delete_removes_the_image_and_its_files(api, settings, django_capture_on_commit_callbacks):
    image = drawn(api, mode="image", references=[upload(api)])
    assert any(str(image["id"]) in str(path) for path in batch_files(settings))
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"{IMAGES}{image['id']}/")
    assert response.status_code == 204
    assert not Batch.objects.filter(pk=image["id"]).exists()
    assert batch_files(settings) == []
    assert Upload.objects.count() == 1  # the upload itself is the user's to delete


def test_a_running_image_cannot_be_deleted(api):
    image_id = create(api).json()["id"]
    error_of(api.delete(f"{IMAGES}{image_id}/"), 409)


def test_regenerating_an_image_draws_it_again_from_render(api):
    image = drawn(api)
    page = Page.objects.get(batch_id=image["id"])
    response = api.post(f"/api/v1/pages/{page.pk}/regenerate/", {}, format="json")
    assert response.status_code == 202, response.content
    page.refresh_from_db()
    assert page.resume_step == "render"
    run_page(page.pk)
    renders = StepRun.objects.filter(page=page, step="render")
    assert renders.count() == 2
    assert not StepRun.objects.filter(page=page, step="describe").exists()
    assert api.get(f"{IMAGES}{image['id']}/").json()["status"] == "completed"


def test_an_image_page_takes_no_edits_and_is_not_a_deck_to_edit(api):
    image = drawn(api)
    page = Page.objects.get(batch_id=image["id"])
    before = (page.plan, page.image_prompt)
    regenerate = api.post(
        f"/api/v1/pages/{page.pk}/regenerate/", {"edits": {"title": "New"}}, format="json"
    )
    assert "no edits" in error_of(regenerate, 400)["message"]
    patch = api.patch(f"/api/v1/pages/{page.pk}/", {"plan": {"title": "New"}}, format="json")
    assert "single image" in error_of(patch, 409)["message"]
    error_of(api.delete(f"/api/v1/pages/{page.pk}/"), 409)
    insert = api.post(
        f"/api/v1/batches/{image['id']}/pages/",
        {"index": 1, "plan": {"title": "More"}},
        format="json",
    )
    error_of(insert, 409)
    page.refresh_from_db()
    assert (page.plan, page.image_prompt) == before
    assert Page.objects.filter(batch_id=image["id"]).count() == 1


def test_a_sampled_image_goes_to_review_with_its_prompt(api, django_capture_on_commit_callbacks):
    StepPolicy.objects.update_or_create(
        step="render", defaults={**POLICY_DEFAULTS["render"], "review_sample_rate": 1.0}
    )
    with django_capture_on_commit_callbacks(execute=True):
        image = drawn(api, prompt="晨雾中的山谷")
    item = ReviewItem.objects.get()
    assert (item.step_run.page.batch_id, item.reason) == (Batch.objects.get().pk, "sampled")
    evaluator = UserFactory(username="judge")
    evaluator.groups.add(Group.objects.get(name="evaluators"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=evaluator).key}")
    body = client.get("/api/v1/review/next/", {"step": "render"}).json()
    assert body["input"]["plan"]["prompt"] == "晨雾中的山谷"
    assert body["output"]["image"]
    assert image["status"] == "completed"


def test_images_count_against_the_batch_creation_rate(api, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "batch_create": "2/min"}
    assert [create(api).status_code for _ in range(3)] == [202, 202, 429]
    assert Batch.objects.count() == 2

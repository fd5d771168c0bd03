"""A batch's own reference images (issue 13, part 6): a logo and photos uploaded with the batch
(POST /api/v1/batches/ as a multipart form), held to the template image caps, stored with the
batch, placed by the local renderer (the logo in a corner of every page, the first photo on the
cover). A refused request stores nothing. The remote side is in
providers/test_deck_composition_remote.py."""

import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import Batch
from generation.services.batches import batch_run
from tests.factories import SlideTemplateFactory, UserFactory, make_batch
from tests.templates_app.test_image_caps import huge_png, image_bytes

pytestmark = pytest.mark.django_db

BATCHES = "/api/v1/batches/"
OUTLINE = "# Launch\n\n## Why\n### Goals\n- Ship\n\n## How\n### Steps\n- Build\n"
BLUE, RED = (0, 0, 255), (255, 0, 0)


@pytest.fixture
def api():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    return client


@pytest.fixture(autouse=True)
def template():
    return SlideTemplateFactory(slug="business", palette=["#ffffff", "#1f3a5f", "#e07a24"])


def png(colour: tuple[int, int, int], size: tuple[int, int] = (64, 48), name: str = "a.png"):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def form(**fields) -> dict:
    options = fields.pop("options", {})
    return {"outline": OUTLINE, "template": "business", "options": json.dumps(options), **fields}


def post(api, data: dict):
    return api.post(BATCHES, data, format="multipart")


def stored(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT) / "batches"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return max(abs(a - b) for a, b in zip(pixel[:3], colour, strict=True)) <= 12


def test_a_multipart_batch_keeps_its_logo_and_photos_with_its_options(api, settings):
    photos = [png(RED, name="phone.png"), png((0, 255, 0), name="box.jpg.png")]
    response = post(api, form(logo=png(BLUE), reference_images=photos, options={"ending": False}))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["options"]["ending"] is False
    assert [image["role"] for image in body["reference_images"]] == ["logo", "photo", "photo"]
    assert all(image["url"].startswith("http://testserver/") for image in body["reference_images"])
    batch = Batch.objects.get(pk=body["id"])
    assert [Path(image["path"]).name for image in batch.reference_images] == [
        "logo-0.png",
        "photo-1.png",
        "photo-2.png",
    ]
    assert stored(settings) == ["logo-0.png", "photo-1.png", "photo-2.png", "reference-0.jpg"]


def test_a_json_batch_still_works_and_has_no_images_of_its_own(api):
    response = api.post(BATCHES, {"outline": OUTLINE, "template": "business"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["reference_images"] == []


def test_the_local_renderer_puts_the_logo_on_every_page_and_the_photo_on_the_cover(api):
    response = post(api, form(logo=png(BLUE), reference_images=[png(RED)]))
    batch = batch_run(batch=Batch.objects.get(pk=response.json()["id"]))

    assert batch.status == "completed"  # the quality checks pass with the logo and photo
    pages = list(batch.pages.order_by("index"))
    assert len(pages) == 7  # cover, contents, two sections of two pages, the ending
    for page in pages:
        image = Image.open(page.image).convert("RGB")
        assert image.size == (1536, 864)
        assert near(image.getpixel((1498, 832)), BLUE), page.kind  # bottom-right, in the margin
        photo_spot = image.getpixel((1148, 432))
        assert near(photo_spot, RED) == (page.kind == "cover"), page.kind


def test_a_photo_larger_than_the_side_cap_is_stored_downscaled(api, settings):
    settings.NANODECK = {**settings.NANODECK, "TEMPLATE_IMAGE_MAX_SIDE": 256}

    response = post(api, form(reference_images=[png(RED, size=(1024, 512))]))

    batch = Batch.objects.get(pk=response.json()["id"])
    path = Path(settings.MEDIA_ROOT) / batch.reference_images[0]["path"]
    assert Image.open(path).size == (256, 128)


def test_a_failed_save_removes_the_copied_images(settings, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Batch, "save", refuse)
    with pytest.raises(RuntimeError):
        make_batch(template=SlideTemplateFactory(), logo=png(BLUE), reference_images=[png(RED)])

    assert stored(settings) == []


def not_an_image(name: str = "logo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"GIF89a but not really", content_type="image/png")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"logo": not_an_image()}, "logo", "not an image this server reads"),
        ({"reference_images": [png(RED), not_an_image("b.png")]}, "reference_images", "image"),
        ({"reference_images": [png(RED) for _ in range(5)]}, "reference_images", "no more than 4"),
        ({"options": "{not json"}, "options", "Options must be a JSON object"),
        ({"options": "[1]"}, "options", "dictionary"),
        ({"options": {"endings": False}}, "options", "unknown option(s): endings"),
        ({"options": {"ending": "no"}}, "ending", "ending must be true or false"),
        ({"outline": " "}, "outline", "blank"),
        ({"template": "nope"}, "template", "nope"),
    ],
)
def test_bad_input_is_refused_with_a_400_and_nothing_is_stored(
    api, settings, fields, field, message
):
    data = form(logo=png(BLUE), reference_images=[png(RED)])
    if isinstance(fields.get("options"), dict):
        fields = {**fields, "options": json.dumps(fields["options"])}
    response = post(api, {**data, **fields})

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["details"], error
    assert message in json.dumps(error, ensure_ascii=False)
    assert not Batch.objects.exists()
    assert stored(settings) == []


def test_an_image_over_the_byte_cap_is_refused_naming_the_cap(api, settings):
    settings.NANODECK = {**settings.NANODECK, "TEMPLATE_IMAGE_MAX_BYTES": 10_000}
    big = SimpleUploadedFile("big.png", image_bytes((200, 200), noise=True))

    response = post(api, form(reference_images=[big]))

    assert response.status_code == 400
    assert "may be at most 0.01 MB" in json.dumps(response.json()["error"])
    assert stored(settings) == []


def test_an_image_over_the_pixel_cap_is_refused_from_its_header(api, settings):
    settings.NANODECK = {**settings.NANODECK, "TEMPLATE_IMAGE_MAX_PIXELS": 65_536}
    wide = SimpleUploadedFile("wide.png", huge_png(4000, 4000))

    response = post(api, form(logo=wide))

    assert response.status_code == 400
    assert "megapixels" in json.dumps(response.json()["error"])
    assert stored(settings) == []


def test_files_in_a_json_body_are_refused(api):
    body = {"outline": OUTLINE, "template": "business", "reference_images": ["photo.png"]}

    response = api.post(BATCHES, body, format="json")

    assert response.status_code == 400
    assert "reference_images" in response.json()["error"]["details"]
    assert not Batch.objects.exists()

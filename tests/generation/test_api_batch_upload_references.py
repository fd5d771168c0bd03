"""A deck's reference photos may be the user's own uploads (issue 14): POST /api/v1/batches/
with `references: [upload ids]` copies them into the batch like photos sent with it; an id
that is not one of the user's uploads is a 400 and nothing is stored."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import Batch, Upload
from tests.api_errors import error_of
from tests.factories import SlideTemplateFactory, UserFactory

pytestmark = pytest.mark.django_db

OUTLINE = "# Launch\n\n## Why\n### Goals\n- Ship\n"


@pytest.fixture(autouse=True)
def template():
    return SlideTemplateFactory(slug="business")


def upload(client) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 30, 30)).save(buffer, "PNG")
    files = [SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")]
    response = client.post("/api/v1/uploads/", {"files": files}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["uploads"][0]["id"]


def create(client, references):
    body = {"outline": OUTLINE, "template": "business", "references": references}
    return client.post("/api/v1/batches/", body, format="json")


def batch_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "batches"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_my_uploads_become_the_batchs_photos(api):
    first, second = upload(api), upload(api)
    response = create(api, [first, second])
    assert response.status_code == 201, response.content
    assert [image["role"] for image in response.json()["reference_images"]] == ["photo", "photo"]
    batch = Batch.objects.get()
    originals = {u.sha256 for u in Upload.objects.all()}
    assert {image["sha256"] for image in batch.reference_images} == originals
    assert all(image["path"].startswith(f"batches/{batch.pk}/") for image in batch.reference_images)
    assert not Upload.objects.filter(used_at__isnull=True).exists()


@pytest.mark.parametrize("kind", ["foreign", "unknown", "not-an-id"])
def test_an_id_that_is_not_my_upload_is_a_400_and_stores_nothing(api, settings, kind):
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    wrong = {
        "foreign": upload(other),
        "unknown": "5b4c0b52-5d6f-4bd4-9a55-0c4a1b0a0a0a",
        "not-an-id": "photo.png",
    }[kind]
    error = error_of(create(api, [upload(api), wrong]), 400)
    assert "references" in error["message"] + str(error.get("details"))
    assert not Batch.objects.exists()
    assert batch_files(settings) == []
    assert not Upload.objects.filter(used_at__isnull=False).exists()


def test_uploads_and_files_together_are_held_to_the_photo_limit(api):
    ids = [upload(api) for _ in range(5)]
    error = error_of(create(api, ids), 400)
    assert "references" in str(error)
    assert not Batch.objects.exists()

"""Reference images are capped in bytes and pixels (refused from their header, before any
decoding) and stored downscaled to what image models take."""

import io
import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from generation.errors import InvalidInput
from templates_app.models import SlideTemplate
from tests.factories import SlideTemplateFactory, UserFactory, make_batch

pytestmark = pytest.mark.django_db

TEMPLATES = "/api/v1/templates/"
FIELDS = {"slug": "big", "name": "Big", "palette": '["#0b1020", "#e0e6f0"]'}


def staff_api() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))
    return client


def image_bytes(size: tuple[int, int], fmt: str = "PNG", noise: bool = False) -> bytes:
    image = Image.effect_noise(size, 80).convert("RGB") if noise else Image.new("RGB", size, "#123")
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def huge_png(width: int, height: int) -> bytes:
    """A valid one-bit PNG of width x height, black: a few kilobytes that decode to a lot."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes((width + 7) // 8)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(row * height, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def upload(data: bytes, name: str = "reference.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def error_of(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


def test_the_api_refuses_an_image_over_the_byte_cap_with_a_clear_400(settings):
    settings.NANODECK = {**settings.NANODECK, "TEMPLATE_IMAGE_MAX_BYTES": 100_000}
    data = image_bytes((400, 400), noise=True)
    assert len(data) > 100_000

    response = staff_api().post(
        TEMPLATES, {**FIELDS, "reference_image": upload(data)}, format="multipart"
    )

    assert response.status_code == 400
    error = error_of(response)
    assert list(error["details"]) == ["reference_image"]
    assert "at most 0.1 MB" in error["message"]
    assert not SlideTemplate.objects.exists()


def test_the_api_refuses_an_image_over_the_pixel_cap_from_its_header():
    data = huge_png(12_000, 12_000)  # 144 megapixels in about 20 KB

    response = staff_api().post(
        TEMPLATES, {**FIELDS, "reference_image": upload(data)}, format="multipart"
    )

    assert response.status_code == 400
    error = error_of(response)
    assert list(error["details"]) == ["reference_image"]
    assert "12000x12000 pixels" in error["message"]
    assert "at most 40 megapixels" in error["message"]
    assert not SlideTemplate.objects.exists()


def test_a_large_upload_is_stored_downscaled_to_the_long_side_cap():
    response = staff_api().post(
        TEMPLATES,
        {**FIELDS, "reference_image": upload(image_bytes((3000, 1500)))},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    stored = SlideTemplate.objects.get(slug="big").reference_image
    with stored.open("rb") as handle:
        image = Image.open(handle)
        assert (image.format, image.size) == ("PNG", (2048, 1024))


def test_a_small_upload_is_stored_as_it_came():
    data = image_bytes((640, 360), fmt="JPEG")

    response = staff_api().post(
        TEMPLATES, {**FIELDS, "reference_image": upload(data, "ref.jpg")}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    with SlideTemplate.objects.get(slug="big").reference_image.open("rb") as handle:
        assert handle.read() == data


def test_the_admin_refuses_an_image_over_the_pixel_cap(admin_client):
    response = admin_client.post(
        "/admin/templates_app/slidetemplate/add/",
        {
            **FIELDS,
            "palette": '["#0b1020", "#e0e6f0"]',
            "fonts": "{}",
            "recommended_for": "[]",
            "order": 0,
            "is_active": "on",
            "reference_image": upload(huge_png(12_000, 12_000)),
            "extra_images-TOTAL_FORMS": 0,
            "extra_images-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert "12000x12000 pixels" in response.content.decode()
    assert not SlideTemplate.objects.exists()


def test_the_admin_stores_an_uploaded_reference_downscaled(admin_client):
    response = admin_client.post(
        "/admin/templates_app/slidetemplate/add/",
        {
            **FIELDS,
            "fonts": "{}",
            "recommended_for": "[]",
            "order": 0,
            "reference_image": upload(image_bytes((1000, 4000))),
            "extra_images-TOTAL_FORMS": 0,
            "extra_images-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    with SlideTemplate.objects.get(slug="big").reference_image.open("rb") as handle:
        assert Image.open(handle).size == (512, 2048)


def test_a_batch_copies_an_oversized_stored_reference_downscaled():
    template = SlideTemplateFactory()
    template.reference_image.save("old.png", ContentFile(image_bytes((4096, 2304))), save=True)

    batch = make_batch(template=template)

    copy = batch.template_snapshot["reference_images"][0]["path"]
    with default_storage.open(copy) as handle:
        assert Image.open(handle).size == (2048, 1152)


def test_a_batch_refuses_a_stored_reference_over_the_pixel_cap():
    template = SlideTemplateFactory(name="Legacy")
    template.reference_image.save("huge.png", ContentFile(huge_png(12_000, 12_000)), save=True)

    with pytest.raises(InvalidInput, match=r"Legacy.*12000x12000 pixels"):
        make_batch(template=template)

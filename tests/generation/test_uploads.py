"""Uploads (issue 14): pictures accepted only when Pillow decodes them as PNG, JPEG or WebP,
held to UPLOAD_MAX_BYTES and UPLOAD_MAX_PIXELS before decoding, re-encoded upright without
metadata, private to their owner, expiring when unused. A refused request stores nothing."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import Upload
from generation.services.retention import expired_cleanup
from tests.api_errors import error_of
from tests.factories import UserFactory
from tests.templates_app.test_image_caps import huge_png, image_bytes

pytestmark = pytest.mark.django_db

UPLOADS = "/api/v1/uploads/"


def upload_file(data: bytes, name: str = "photo.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def post(api, *files):
    return api.post(UPLOADS, {"files": list(files)}, format="multipart")


def stored(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "uploads"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_it_stores_png_jpeg_and_webp_and_answers_their_ids(api, settings):
    files = [
        upload_file(image_bytes((40, 30), "PNG"), "a.png"),
        upload_file(image_bytes((40, 30), "JPEG"), "b.jpg", "image/jpeg"),
        upload_file(image_bytes((40, 30), "WEBP"), "c.webp", "image/webp"),
    ]
    response = post(api, *files)
    assert response.status_code == 201, response.content
    uploads = response.json()["uploads"]
    assert [u["format"] for u in uploads] == ["PNG", "JPEG", "WEBP"]
    assert [(u["width"], u["height"]) for u in uploads] == [(40, 30)] * 3
    assert Upload.objects.count() == 3
    assert sorted(p.suffix for p in stored(settings)) == [".jpg", ".png", ".webp"]
    assert all("/media/signed/" in u["url"] for u in uploads)


def test_the_format_is_read_from_the_content_not_the_name(api):
    response = post(api, upload_file(image_bytes((20, 20), "JPEG"), "looks.png", "image/png"))
    assert response.status_code == 201
    assert response.json()["uploads"][0]["format"] == "JPEG"
    assert Upload.objects.get().file.name.endswith(".jpg")


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"just some words, not a picture\n", "notes.png", "not an image"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b'<rect width="10" height="10"/></svg>',
            "drawing.svg",
            "not an image",
        ),
        (image_bytes((64, 64), "PNG", noise=True)[:-300], "cut.png", "damaged or truncated"),
        (image_bytes((30, 30), "GIF"), "anim.gif", "PNG, JPEG or WebP"),
        (image_bytes((30, 30), "BMP"), "old.bmp", "PNG, JPEG or WebP"),
    ],
    ids=["text-named-png", "svg", "truncated", "gif", "bmp"],
)
def test_it_refuses_what_is_not_a_whole_png_jpeg_or_webp(api, settings, data, name, words):
    error = error_of(post(api, upload_file(data, name)), 400)
    assert words in error["message"]
    assert name in error["message"]
    assert not Upload.objects.exists()
    assert stored(settings) == []


@pytest.mark.parametrize(
    ("side", "words"),
    [(10_000, "10000x10000 pixels (100 megapixels)"), (20_000, "more than 179 megapixels")],
    ids=["over-our-cap", "over-pillows-bomb-limit"],
)
def test_a_decompression_bomb_is_refused_from_its_header(api, settings, side, words):
    # One-bit black pixels: a few kilobytes that would decode to 100 or 400 megapixels.
    bomb = huge_png(side, side)
    assert len(bomb) < 100_000
    error = error_of(post(api, upload_file(bomb, "bomb.png")), 400)
    assert words in error["message"]
    assert "at most 40 megapixels" in error["message"]
    assert "files" in error["details"]
    assert stored(settings) == []


def test_the_pixel_cap_is_a_setting_and_one_pixel_over_is_refused(api, settings):
    settings.NANODECK = {**settings.NANODECK, "UPLOAD_MAX_PIXELS": 65_536}
    assert post(api, upload_file(image_bytes((256, 256)), "ok.png")).status_code == 201
    error = error_of(post(api, upload_file(image_bytes((257, 256)), "over.png")), 400)
    assert "megapixels" in error["message"]
    assert Upload.objects.count() == 1


def test_an_oversized_file_is_refused_before_it_is_read(api, settings):
    settings.NANODECK = {**settings.NANODECK, "UPLOAD_MAX_BYTES": 10_000}
    big = image_bytes((200, 200), "PNG", noise=True)
    assert len(big) > 10_000
    error = error_of(post(api, upload_file(big, "big.png")), 400)
    assert "MB" in error["message"]
    assert stored(settings) == []


def test_one_bad_file_among_good_ones_stores_none_of_them(api, settings):
    good = upload_file(image_bytes((20, 20)), "good.png")
    bad = upload_file(b"nope", "bad.png")
    error_of(post(api, good, bad), 400)
    assert not Upload.objects.exists()
    assert stored(settings) == []


def test_no_file_is_a_400(api):
    error = error_of(api.post(UPLOADS, {}, format="multipart"), 400)
    assert "files" in error["message"]


def test_exif_orientation_is_applied_and_metadata_stripped(api):
    # 60 x 20 pixels stored sideways: orientation 6 says "rotate 90 degrees clockwise to view".
    image = Image.new("RGB", (60, 20), "white")
    image.paste((255, 0, 0), (0, 0, 10, 20))  # the left edge red: the top once upright
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "SecretCam"  # camera make: metadata that must not survive
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=95)
    response = post(api, upload_file(buffer.getvalue(), "phone.jpg", "image/jpeg"))
    assert response.status_code == 201, response.content
    body = response.json()["uploads"][0]
    assert (body["width"], body["height"]) == (20, 60)
    upload = Upload.objects.get()
    with upload.file.open("rb") as handle:
        data = handle.read()
    assert b"SecretCam" not in data
    with Image.open(io.BytesIO(data)) as saved:
        assert saved.size == (20, 60)
        assert not saved.getexif()
        top, bottom = saved.getpixel((10, 2)), saved.getpixel((10, 57))
    assert top[0] > 200
    assert top[1] < 80
    assert bottom[1] > 200  # white at the foot


def test_png_text_chunks_are_not_kept(api):
    info = PngInfo()
    info.add_text("Author", "Someone Private")
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, "PNG", pnginfo=info)
    assert post(api, upload_file(buffer.getvalue())).status_code == 201
    with Upload.objects.get().file.open("rb") as handle:
        assert b"Someone Private" not in handle.read()


def test_a_colour_profile_is_not_kept(api):
    # Pillow's PNG writer copies an ICC profile from the image's info unless it is removed;
    # the pixels are converted to sRGB first (here already sRGB: the colours stay).
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 30, 30)).save(buffer, "PNG", icc_profile=srgb)
    assert post(api, upload_file(buffer.getvalue())).status_code == 201
    with Upload.objects.get().file.open("rb") as handle, Image.open(handle) as saved:
        assert "icc_profile" not in saved.info
        red = saved.convert("RGB").getpixel((5, 5))
    assert abs(red[0] - 200) <= 2
    assert abs(red[1] - 30) <= 2


def test_a_palette_png_keeps_its_transparency(api):
    image = Image.new("P", (20, 20), 0)
    image.putpalette([255, 0, 0, 0, 0, 255])
    image.paste(1, (10, 0, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0)
    assert post(api, upload_file(buffer.getvalue())).status_code == 201
    with Upload.objects.get().file.open("rb") as handle, Image.open(handle) as saved:
        rgba = saved.convert("RGBA")
        assert rgba.getpixel((2, 2))[3] == 0
        assert rgba.getpixel((15, 2)) == (0, 0, 255, 255)


def test_uploads_are_private_to_their_owner(api):
    upload_id = post(api, upload_file(image_bytes((20, 20)))).json()["uploads"][0]["id"]
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    error_of(other.get(f"{UPLOADS}{upload_id}/"), 404)
    assert other.get(UPLOADS).json()["count"] == 0
    assert api.get(f"{UPLOADS}{upload_id}/").status_code == 200
    assert APIClient().post(UPLOADS, {}, format="multipart").status_code in (401, 403)


def test_the_signed_link_serves_the_file(api, client):
    url = post(api, upload_file(image_bytes((20, 20)))).json()["uploads"][0]["url"]
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_delete_removes_the_file(api, settings, django_capture_on_commit_callbacks):
    upload_id = post(api, upload_file(image_bytes((20, 20)))).json()["uploads"][0]["id"]
    assert len(stored(settings)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"{UPLOADS}{upload_id}/")
    assert response.status_code == 204
    assert not Upload.objects.exists()
    assert stored(settings) == []


def test_unused_uploads_expire_and_used_ones_stay(api, settings):
    settings.NANODECK = {**settings.NANODECK, "UPLOAD_TTL_HOURS": 24}
    answer = post(api, *(upload_file(image_bytes((20, 20))) for _ in range(3)))
    ids = [upload["id"] for upload in answer.json()["uploads"]]
    old = timezone.now() - timedelta(hours=25)
    Upload.objects.filter(pk__in=ids[:2]).update(created_at=old)
    Upload.objects.filter(pk=ids[1]).update(used_at=timezone.now())
    result = expired_cleanup(now=timezone.now())
    assert result["uploads"] == 1
    assert sorted(str(pk) for pk in Upload.objects.values_list("pk", flat=True)) == sorted(ids[1:])
    assert len(stored(settings)) == 2


def test_the_upload_after_the_rate_is_throttled(api, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "upload": "2/min"}
    answers = [post(api, upload_file(image_bytes((20, 20)))).status_code for _ in range(3)]
    assert answers == [201, 201, 429]
    assert error_of(post(api, upload_file(image_bytes((20, 20)))), 429)["code"] == "throttled"
    assert Upload.objects.count() == 2

"""Media links: every image the API, the admin and the review site hand out is a signed,
expiring link that loads with DEBUG off and on; nothing is served from an unsigned /media/."""

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.services.batches import batch_run
from review.models import Assignment
from tests.factories import SlideTemplateFactory, UserFactory, make_batch, make_review_items

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SHORT_OUTLINE = "# Short deck\n\n### One\n- a\n- b\n\n### Two\n- c\n- d\n"
SIGNED = re.compile(r"^(http://testserver)?/media/signed/[^/]+/$")
# Any /media/ address in a page that is not a signed link.
UNSIGNED = re.compile(r"""["'](?:http://testserver)?/media/(?!signed/)[^"']*["']""")
PUBLIC_KEY = "insecure-local-only-key-set-SECRET_KEY-in-production"


@pytest.fixture(autouse=True)
def _no_ocr(settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def batch(owner):
    return batch_run(batch=make_batch(owner=owner, outline=SHORT_OUTLINE))


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def fetch(url: str) -> bytes:
    """What an anonymous browser gets at `url` (absolute or relative)."""
    assert SIGNED.match(url), url
    response = Client().get(url.removeprefix("http://testserver"))
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def stored(field_file) -> bytes:
    with field_file.open("rb") as handle:
        return handle.read()


def png_bytes(size=(64, 36)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#dfe7f2").save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_batch_api_hands_out_signed_image_links_that_load(owner, batch):
    body = api_for(owner).get(f"/api/v1/batches/{batch.pk}/").json()

    page = batch.pages.get(index=body["pages"][0]["index"])
    assert fetch(body["pages"][0]["image"]) == stored(page.image)
    assert fetch(body["pages"][0]["thumbnail"]) == stored(page.thumbnail)


def test_the_page_api_hands_out_signed_output_image_links(owner, batch):
    page = batch.pages.order_by("index").last()

    body = api_for(owner).get(f"/api/v1/pages/{page.pk}/").json()

    images = [run["output_image"] for run in body["step_runs"] if run["output_image"]]
    assert images
    assert all(fetch(url).startswith(b"\x89PNG") for url in images)


def test_the_template_api_hands_out_a_signed_reference_image_link(owner):
    template = SlideTemplateFactory()

    body = api_for(owner).get(f"/api/v1/templates/{template.slug}/").json()

    assert fetch(body["reference_image"]) == stored(template.reference_image)


def test_a_link_forged_with_the_old_public_key_is_refused(batch):
    page = batch.pages.first()
    token = signing.dumps(
        {"path": page.image.name}, key=PUBLIC_KEY, salt="nanodeck.signed-media", compress=True
    )

    assert Client().get(f"/media/signed/{token}/").status_code == 404


def test_an_expired_link_is_refused(settings, batch):
    url = batch.pages.first().image.url
    settings.SIGNED_URL_MAX_AGE_SECONDS = 0

    assert Client().get(url).status_code == 404


def test_the_unsigned_media_address_serves_nothing(batch):
    assert Client().get(f"/media/{batch.pages.first().image.name}").status_code == 404


def test_the_admin_previews_and_file_links_are_signed(admin_client, batch):
    page = batch.pages.order_by("index").last()
    run = page.step_runs.exclude(output_image="").first()
    template = SlideTemplateFactory()
    pages = [
        f"/admin/generation/batch/{batch.pk}/change/",
        "/admin/generation/page/",
        f"/admin/generation/page/{page.pk}/change/",
        f"/admin/generation/steprun/{run.pk}/change/",
        "/admin/templates_app/slidetemplate/",
        f"/admin/templates_app/slidetemplate/{template.pk}/change/",
    ]
    for address in pages:
        html = admin_client.get(address).content.decode()

        assert "/media/signed/" in html, address
        assert not UNSIGNED.findall(html), address


def test_the_review_site_and_api_show_signed_images(settings):
    item = make_review_items(1)[0]
    item.step_run.output_image.save("slide.png", ContentFile(png_bytes()))
    evaluator = UserFactory(is_staff=True)
    client = Client()
    client.force_login(evaluator)

    client.get("/review/next/")
    html = client.get(f"/review/items/{item.pk}/").content.decode()
    body = api_for(evaluator).get("/api/v1/review/next/").json()

    assert Assignment.objects.filter(item=item, evaluator=evaluator).exists()
    sources = re.findall(r'<img[^>]* src="([^"]+)"', html)
    assert len(sources) == 2  # the template's reference and the slide
    assert [Image.open(io.BytesIO(fetch(source))).size for source in sources] == [
        (320, 180),
        (64, 36),
    ]
    assert not UNSIGNED.findall(html)
    assert fetch(body["output"]["image"]) == png_bytes()
    assert Image.open(io.BytesIO(fetch(body["input"]["reference_image"]))).size == (320, 180)


DEBUG_PROBE = """
import json, django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
name = default_storage.save("batches/b1/pages/p1.png", ContentFile(b"\\x89PNG slide"))
client = Client()
print(json.dumps({
    "unsigned": client.get("/media/" + name).status_code,
    "signed": client.get(default_storage.url(name)).status_code,
}))
"""


@pytest.mark.parametrize("debug", ["1", "0"])
def test_with_debug_on_or_off_only_signed_links_load(tmp_path, debug):
    result = subprocess.run(
        [sys.executable, "-c", DEBUG_PROBE],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": debug,
            "ALLOWED_HOSTS": "testserver",
            "MEDIA_ROOT": str(tmp_path),
            "SECRET_KEY": "s" * 10 + "x7Qm2vR9tZpL4sWn8yBc3dFg6hJk1aE5uIo0" + "t" * 10,
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"unsigned": 404, "signed": 200}


def test_a_signed_link_names_no_other_file_than_its_own(batch):
    """The token carries the path: changing a letter of it breaks the signature."""
    url = batch.pages.first().image.url
    token = url.split("/")[-2]
    tampered = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]

    assert Client().get(url).status_code == 200
    assert Client().get(url.replace(token, tampered)).status_code == 404
    assert default_storage.exists(batch.pages.first().image.name)

"""Single images and uploads in the admin (issue 14): a gallery of images with thumbnails,
searched by prompt and filtered by mode, status and provider; uploads listed with previews.
Both are read-only there: they are made through the API and its checks."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from generation.models import Upload
from generation.services.images import image_create
from generation.services.uploads import uploads_create
from generation.tasks import run_page
from tests.factories import SlideTemplateFactory, UserFactory, make_batch
from tests.media import linked_names

pytestmark = pytest.mark.django_db

GALLERY, UPLOADS = "/admin/generation/singleimage/", "/admin/generation/upload/"


def picture() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (90, 60), (40, 160, 90)).save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def images():
    SlideTemplateFactory(slug="warm")
    owner = UserFactory(username="painter")
    (upload,) = uploads_create(owner=owner, files=[picture()])
    drawn = []
    for prompt, mode, refs in (
        ("Harbour at night", "text", []),
        ("Mountain lake", "text", []),
        ("My garden restyled", "image", [upload.pk]),
    ):
        batch = image_create(owner=owner, prompt=prompt, mode=mode, references=refs)
        run_page(batch.pages.get().pk)
        drawn.append(batch)
    return drawn


def rows(html: str) -> list[str]:
    return [p for p in ("Harbour at night", "Mountain lake", "My garden restyled") if p in html]


def test_the_gallery_shows_images_with_thumbnails_and_no_decks(admin_client, images):
    deck = make_batch(title="A deck, not an image")
    html = admin_client.get(GALLERY).content.decode()
    assert rows(html) == ["Harbour at night", "Mountain lake", "My garden restyled"]
    assert deck.title not in html
    thumbnails = {batch.pages.get().thumbnail.name for batch in images}
    assert thumbnails <= linked_names(html)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=lake", ["Mountain lake"]),
        ("?mode=image", ["My garden restyled"]),
        ("?mode=text", ["Harbour at night", "Mountain lake"]),
        (
            "?provider=local&status__exact=completed",
            ["Harbour at night", "Mountain lake", "My garden restyled"],
        ),
        ("?status__exact=failed", []),
    ],
)
def test_the_gallery_searches_prompts_and_filters(admin_client, images, query, expected):
    response = admin_client.get(GALLERY + query)
    assert response.status_code == 200
    assert rows(response.content.decode()) == expected


def test_an_image_page_shows_the_image(admin_client, images):
    batch = images[0]
    html = admin_client.get(f"{GALLERY}{batch.pk}/change/").content.decode()
    assert batch.pages.get().image.name in linked_names(html)
    assert admin_client.get(f"{GALLERY}add/").status_code == 403


def test_uploads_are_listed_with_previews_and_filtered_by_use(admin_client, images):
    (unused,) = uploads_create(owner=UserFactory(), files=[picture()])
    html = admin_client.get(UPLOADS).content.decode()
    assert {u.file.name for u in Upload.objects.all()} <= linked_names(html)
    unused_only = admin_client.get(UPLOADS + "?used_at__isnull=True").content.decode()
    assert linked_names(unused_only) & {u.file.name for u in Upload.objects.all()} == {
        unused.file.name
    }
    assert admin_client.get(f"{UPLOADS}add/").status_code == 403

"""Images: the gallery (mine, newest first, prompt search, pages), the new image form (text or
my pictures, dropped or chosen; the image service's checks), one image's page, delete."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from generation.models import Batch, Upload
from generation.services.images import image_create
from generation.tasks import run_page
from tests.factories import UserFactory
from tests.generation.credits import give
from tests.webapp.conftest import picture

pytestmark = pytest.mark.django_db

NEW = "/images/new/"


def stored_files(settings) -> list[Path]:
    """Files of uploads and batches (the template's own image is there from the start)."""
    roots = [Path(settings.MEDIA_ROOT) / folder for folder in ("uploads", "batches")]
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def drawn(user, prompt: str = "A lighthouse at dawn") -> Batch:
    image = image_create(owner=user, prompt=prompt, enqueue=False)
    run_page(image.pages.get().pk)
    image.refresh_from_db()
    return image


def test_text_to_image_stores_it_and_shows_its_page(signed_in, user, template):
    response = signed_in.post(
        NEW,
        {
            "prompt": "A red kite",
            "mode": "text",
            "aspect_ratio": "16:9",
            "quality": "standard",
            "provider": "local",
        },
    )
    image = Batch.objects.get(kind="image")
    assert response.status_code == 302
    assert response["Location"] == f"/images/{image.pk}/"
    assert (image.owner, image.outline) == (user, "A red kite")
    assert image.pages.get().plan["aspect_ratio"] == "16:9"
    page = signed_in.get(response["Location"]).content.decode()
    assert "A red kite" in page
    assert f'data-events="/api/v1/images/{image.pk}/events/"' in page
    assert "webapp/image-live.js" in page


def test_image_to_image_uploads_my_pictures_and_uses_them(signed_in, user, template):
    response = signed_in.post(
        NEW,
        {
            "prompt": "Make it autumn",
            "mode": "image",
            "aspect_ratio": "1:1",
            "quality": "standard",
            "provider": "local",
            "files": [picture("a.png"), picture("b.png")],
        },
    )
    assert response.status_code == 302
    image = Batch.objects.get(kind="image")
    assert len(image.reference_images) == 2
    assert Upload.objects.filter(owner=user, used_at__isnull=False).count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"prompt": ""}, "prompt", "required"),
        ({"prompt": "x" * 2001}, "prompt", "at most 2000"),
        ({"mode": "image"}, "files", "reference"),
        ({"aspect_ratio": "7:3"}, "aspect_ratio", "valid choice"),
        ({"provider": "nope"}, "provider", "valid choice"),
        ({"files": [SimpleUploadedFile("x.png", b"not a picture")]}, "files", "x.png"),
    ],
)
def test_bad_image_input_shows_errors_and_stores_nothing(
    signed_in, template, settings, changes, field, words
):
    body = {
        "prompt": "A red kite",
        "mode": "text",
        "aspect_ratio": "1:1",
        "quality": "standard",
        "provider": "local",
        **changes,
    }
    if field == "files" and "mode" not in changes:
        body["mode"] = "image"
    response = signed_in.post(NEW, body)
    assert response.status_code == 400
    assert words in " ".join(response.context["form"].errors[field]), response.context[
        "form"
    ].errors
    assert not Batch.objects.exists()
    assert not Upload.objects.exists()
    assert not stored_files(settings)


def test_a_refused_image_leaves_no_uploaded_picture(signed_in, user, template, settings):
    settings.CREDIT_COSTS = {**settings.CREDIT_COSTS, "image_1K": 1}
    settings.CHARGE_STAFF = False
    response = signed_in.post(
        NEW,
        {
            "prompt": "Make it autumn",
            "mode": "image",
            "aspect_ratio": "1:1",
            "quality": "standard",
            "provider": "local",
            "files": [picture()],
        },
    )
    assert response.status_code == 402
    page = response.content.decode()
    assert "Not enough credits" in page
    assert "This needs 1 credits; you have 0." in page
    assert not Batch.objects.exists()
    assert not Upload.objects.exists()
    assert not stored_files(settings)


def test_with_credits_the_image_reserves_its_price(signed_in, user, template, settings):
    settings.CREDIT_COSTS = {**settings.CREDIT_COSTS, "image_2K": 2}
    settings.CHARGE_STAFF = False
    give(user, 3)
    body = {
        "prompt": "A red kite",
        "mode": "text",
        "aspect_ratio": "1:1",
        "size": "2K",
        "quality": "standard",
        "provider": "local",
    }
    assert signed_in.post(NEW, body).status_code == 302


def test_the_gallery_lists_mine_newest_first_and_searches_prompts(signed_in, user, template):
    old = drawn(user, "A lighthouse at dawn")
    new = image_create(owner=user, prompt="A harbour at night", enqueue=False)
    image_create(owner=UserFactory(), prompt="A lighthouse of someone else", enqueue=False)
    response = signed_in.get("/images/")
    assert list(response.context["images"]) == [new, old]
    page = response.content.decode()
    assert old.pages.get().thumbnail.name
    assert "/media/signed/" in page
    found = signed_in.get("/images/?q=lighthouse dawn")
    assert list(found.context["images"]) == [old]
    nothing = signed_in.get("/images/?q=volcano").content.decode()
    assert "No image" in nothing
    assert "volcano" in nothing


def test_the_gallery_is_paginated_and_keeps_the_search(signed_in, user, template):
    for number in range(13):
        image_create(owner=user, prompt=f"Kite number {number}", enqueue=False)
    first = signed_in.get("/images/?q=kite")
    assert len(first.context["images"].object_list) == 12
    assert "?page=2&amp;q=kite" in first.content.decode()
    assert len(signed_in.get("/images/?q=kite&page=2").context["images"].object_list) == 1


def test_another_users_image_is_a_404(signed_in, template):
    theirs = image_create(owner=UserFactory(), prompt="Not yours", enqueue=False)
    assert signed_in.get(f"/images/{theirs.pk}/").status_code == 404
    assert signed_in.post(f"/images/{theirs.pk}/delete/").status_code == 404
    assert Batch.objects.filter(pk=theirs.pk).exists()


def test_a_deck_is_not_an_image(signed_in, user, template):
    from tests.factories import make_batch

    deck = make_batch(owner=user, template=template)
    assert signed_in.get(f"/images/{deck.pk}/").status_code == 404


def test_a_drawn_image_shows_and_can_be_deleted(signed_in, user, template, settings):
    image = drawn(user)
    page = signed_in.get(f"/images/{image.pk}/").content.decode()
    assert 'id="image-picture" src="/media/signed/' in page
    assert 'data-final="1"' in page
    response = signed_in.post(f"/images/{image.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/images/"
    assert "The image was deleted." in response.content.decode()
    assert not Batch.objects.filter(pk=image.pk).exists()


def test_an_image_being_drawn_is_not_deleted(signed_in, user, template):
    image = image_create(owner=user, prompt="Still drawing", enqueue=False)
    response = signed_in.post(f"/images/{image.pk}/delete/", follow=True)
    assert "still being drawn" in response.content.decode()
    assert Batch.objects.filter(pk=image.pk).exists()


def test_deleting_takes_a_post(signed_in, user, template):
    image = drawn(user)
    assert signed_in.get(f"/images/{image.pk}/delete/").status_code == 405

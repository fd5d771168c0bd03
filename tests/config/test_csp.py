"""The Content-Security-Policy: one strict header, and pages that need nothing it forbids."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import Client

from generation.models import StepPolicy
from generation.services.batches import batch_run
from tests.factories import (
    CALIBRATION_AUTOS,
    SlideTemplateFactory,
    UserFactory,
    make_batch,
    make_judged_runs,
    make_review_items,
)

pytestmark = pytest.mark.django_db

SHORT_OUTLINE = "# Short deck\n\n### One\n- a\n- b\n\n### Two\n- c\n- d\n"
# What a strict policy blocks: inline style attributes and elements, inline scripts, handlers.
INLINE = re.compile(
    r"""<[^>]+\sstyle=|<style[\s>]|<script(?![^>]*\ssrc=)[^>]*>|<[^>]+\son[a-z]+=""", re.I
)


def evaluator_client() -> Client:
    user = UserFactory(username="评审员")
    user.groups.add(Group.objects.get(name="evaluators"))
    client = Client()
    client.force_login(user)
    return client


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: sources
        for name, *sources in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.parametrize("address", ["/review/login/", "/admin/login/", "/api/docs/"])
def test_html_pages_carry_a_strict_policy(address):
    response = Client().get(address)

    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_review_pages_need_nothing_inline(settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    item = make_review_items(1)[0]
    item.step_run.output_image.save("slide.png", ContentFile(b"\x89PNG"))
    StepPolicy.objects.filter(step="render").update(threshold=8)
    make_judged_runs(CALIBRATION_AUTOS[:12], batch=make_batch(), evaluator=UserFactory())
    client = evaluator_client()
    item_page = client.get("/review/next/", follow=True)

    pages = {
        "login": Client().get("/review/login/"),
        "queue": client.get("/review/"),
        "item": item_page,
        "stats": client.get("/review/stats/?step=render"),
        "empty stats": client.get("/review/stats/?step=describe"),
    }

    assert "/review/items/" in item_page.redirect_chain[-1][0]
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert not INLINE.findall(response.content.decode()), name


def test_the_admin_pages_of_nanodeck_need_nothing_inline(admin_client, settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    batch = batch_run(batch=make_batch(outline=SHORT_OUTLINE))
    page = batch.pages.first()
    template = SlideTemplateFactory()
    addresses = [
        "/admin/generation/batch/",
        f"/admin/generation/batch/{batch.pk}/change/",
        "/admin/generation/page/",
        f"/admin/generation/page/{page.pk}/change/",
        f"/admin/generation/steprun/{page.step_runs.exclude(output_image='').first().pk}/change/",
        "/admin/templates_app/slidetemplate/",
        f"/admin/templates_app/slidetemplate/{template.pk}/change/",
    ]
    for address in addresses:
        response = admin_client.get(address)

        assert response.status_code == 200, address
        assert not INLINE.findall(response.content.decode()), address


def test_the_api_docs_load_their_script_from_a_file():
    html = Client().get("/api/docs/").content.decode()

    assert not re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html)


def test_debug_error_pages_keep_their_inline_styles(settings):
    settings.DEBUG = True

    missing = Client().get("/no-such-page/")
    page = Client().get("/review/login/")

    assert missing.status_code == 404
    assert "Content-Security-Policy" not in missing
    assert "Content-Security-Policy" in page

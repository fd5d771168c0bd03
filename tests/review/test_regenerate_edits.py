"""The review site's regenerate verdict: for a slide drawn by the local renderer it offers the
renderer's edits (not free text), sends only what the evaluator changed, and the page is drawn
again with them; for a slide drawn by an image model it offers the free-text box."""

import pytest
from PIL import ImageChops
from rest_framework.test import APIClient

from generation.images import open_rgb
from generation.models import Batch, Page, PageStatus, StepRun
from generation.services.batches import batch_run
from generation.services.page_actions import page_flag
from generation.services.pages import page_run
from review.models import Evaluation
from tests.factories import make_batch
from tests.review.review_site import client_for, form_data, lease, make_evaluator

pytestmark = pytest.mark.django_db

OUTLINE = (
    "# Team handbook\n\n### Three habits\n- Write it down: decisions live in documents\n"
    "- Ship small: one change at a time\n- Ask early: questions save days\n"
)


@pytest.fixture
def flagged_page(settings, django_capture_on_commit_callbacks) -> Page:
    """A content slide drawn by the local renderer, flagged: its render is in review."""
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    batch = batch_run(batch=make_batch(outline=OUTLINE))
    page = batch.pages.get(plan__kind="content")
    with django_capture_on_commit_callbacks(execute=True):
        page_flag(page=page, reason="the middle habit should stand out")
    return page


@pytest.fixture
def client():
    return client_for(make_evaluator())


def test_a_local_slide_offers_the_renderers_edits_instead_of_free_text(client, flagged_page):
    html = client.get(lease(client)).content.decode()

    for name in ("edit_title", "edit_items", "edit_layout", "edit_text_scale", "edit_emphasis"):
        assert f'name="{name}"' in html
    assert 'name="edit_subtitle"' not in html  # a content page shows none
    assert 'name="instruction"' not in html
    assert 'value="Three habits"' in html  # the fields show the page as it is
    assert '<option value="two_column">two_column</option>' in html


def test_regenerate_with_edits_redraws_the_slide(client, flagged_page):
    before = StepRun.objects.selected().get(page=flagged_page, step="render")
    fields = {"verdict": "regenerate", "edit_emphasis": "1", "edit_layout": "two_column"}
    unchanged = {  # as a browser sends them back (CRLF between lines)
        "edit_title": "Three habits",
        "edit_items": "Write it down: decisions live in documents\r\n"
        "Ship small: one change at a time\r\nAsk early: questions save days",
    }

    response = client.post(lease(client), form_data(**fields, **unchanged))

    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    page = Page.objects.get(pk=flagged_page.pk)
    edits = {"layout": "two_column", "emphasis": 1}  # the unchanged text is not sent
    assert page.regeneration == {"edits": edits, "requested_by": evaluation.source}
    page = page_run(page=page)
    assert page.status == PageStatus.COMPLETED
    after = StepRun.objects.selected().get(page=page, step="render")
    assert after.requested_by == evaluation.source
    assert after.params["edits"] == edits
    difference = ImageChops.difference(open_rgb(before.output_image), open_rgb(after.output_image))
    assert difference.getbbox() is not None


def test_new_item_text_goes_into_the_plan(client, flagged_page):
    items = "Write it down: decisions live in documents\nReview weekly: thirty minutes"

    client.post(lease(client), form_data(verdict="regenerate", edit_items=items))

    page = Page.objects.get(pk=flagged_page.pk)
    assert [(item["title"], item["text"]) for item in page.plan["items"]] == [
        ("Write it down", "decisions live in documents"),
        ("Review weekly", "thirty minutes"),
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, None),  # nothing changed: regenerate needs edits
        ({"edit_text_scale": "5"}, "edit_text_scale"),
        ({"edit_layout": "spiral"}, "edit_layout"),
        ({"edit_emphasis": "3"}, "edit_emphasis"),
        ({"edit_title": ""}, "edit_title"),
    ],
)
def test_bad_edits_are_shown_and_nothing_is_stored(client, flagged_page, fields, field):
    response = client.post(lease(client), form_data(verdict="regenerate", **fields))

    assert response.status_code == 400
    form = response.context["form"]
    if field is None:
        assert "regenerate needs an instruction or, for the local renderer, edits" in str(
            form.non_field_errors()
        )
    else:
        assert form.errors[field]
    assert not Evaluation.objects.exists()
    page = Page.objects.get(pk=flagged_page.pk)
    assert (page.status, page.regeneration) == (PageStatus.COMPLETED, {})


def test_a_slide_drawn_by_an_image_model_offers_the_free_text_box(client, flagged_page):
    batch = flagged_page.batch
    Batch.objects.filter(pk=batch.pk).update(options={**batch.options, "provider": "gemini"})

    html = client.get(lease(client)).content.decode()

    assert 'name="instruction"' in html
    assert 'name="edit_title"' not in html


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(make_evaluator())
    return client


def evaluate(api, **body):
    item = api.get("/api/v1/review/next/").json()
    scores = {criterion["key"]: 6 for criterion in item["criteria"]}
    return api.post(
        f"/api/v1/review/items/{item['id']}/evaluations/",
        {"scores": scores, "verdict": "regenerate", **body},
        format="json",
    )


def test_the_api_takes_edits_for_a_local_slide(api, flagged_page):
    response = evaluate(api, edits={"title": "Two habits", "emphasis": 0})

    assert response.status_code == 201
    evaluation = Evaluation.objects.get(pk=response.json()["id"])
    page = Page.objects.get(pk=flagged_page.pk)
    assert page.plan["title"] == "Two habits"
    assert page.regeneration["requested_by"] == evaluation.source


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"instruction": "make the middle habit stand out"}, "instruction"),
        ({"edits": {"text_scale": 5}}, "edits"),
        ({}, "edits"),
    ],
)
def test_the_api_refuses_what_the_local_renderer_cannot_draw(api, flagged_page, body, field):
    response = evaluate(api, **body)

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == [field]
    assert not Evaluation.objects.exists()
    assert Page.objects.get(pk=flagged_page.pk).regeneration == {}

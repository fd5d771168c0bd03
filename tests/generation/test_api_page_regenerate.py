"""Regenerating a page drawn by the local renderer: structured edits change the slide (its
pixels, and for text the text the OCR check reads); free text and bad edits are clear 4xx
that change nothing. Image models: tests/generation/providers/test_regenerate_remote.py."""

import pytest
from PIL import Image, ImageChops

from generation.images import open_rgb
from generation.models import Page, PageStatus, StepRun
from generation.services.batches import batch_run
from generation.services.pages import page_run
from tests.factories import make_batch

pytestmark = pytest.mark.django_db

OUTLINE = (
    "# Team handbook\nHow we work\n\n"
    "### Three habits\n- Write it down: decisions live in documents\n"
    "- Ship small: one change at a time\n- Ask early: questions save days\n"
)


@pytest.fixture
def batch(user):
    return batch_run(batch=make_batch(owner=user, outline=OUTLINE))


@pytest.fixture
def content(batch) -> Page:
    return batch.pages.get(plan__kind="content")


def regenerate(api, page: Page, payload: dict):
    return api.post(f"/api/v1/pages/{page.pk}/regenerate/", payload, format="json")


def selected_render(page: Page) -> StepRun:
    return StepRun.objects.selected().get(page=page, step="render")


def changed_pixels(before: StepRun, after: StepRun) -> int:
    difference = ImageChops.difference(open_rgb(before.output_image), open_rgb(after.output_image))
    return difference.convert("L").point(lambda value: 255 if value > 16 else 0).histogram()[255]


def regenerated(api, page: Page, payload: dict) -> tuple[StepRun, StepRun]:
    """(the selected render before, the one after) a regeneration run to its end."""
    before = selected_render(page)
    response = regenerate(api, page, payload)
    assert response.status_code == 202, response.json()
    page = page_run(page=Page.objects.get(pk=page.pk))
    assert page.status == PageStatus.COMPLETED
    return before, selected_render(page)


@pytest.mark.ocr
def test_text_edits_redraw_the_slide_and_the_ocr_check_reads_the_new_text(api, user, content):
    edits = {
        "title": "Two habits that last",
        "items": [
            {"title": "Write it down", "text": "Decisions live in documents"},
            {"title": "Review weekly", "text": "Every Friday, thirty minutes"},
        ],
    }

    before, after = regenerated(api, content, {"from_step": "render", "edits": edits})

    assert changed_pixels(before, after) > 1000
    content.refresh_from_db()
    assert content.plan["title"] == "Two habits that last"
    assert [item["title"] for item in content.plan["items"]] == ["Write it down", "Review weekly"]
    read = {box["expected"]: box for box in after.metrics["ocr_boxes"]}
    assert read["Two habits that last"]["cer"] < 0.1
    assert read["Review weekly"]["cer"] < 0.1
    assert after.passed
    assert after.params["edits"] == edits
    assert after.requested_by == f"user:{user.pk}"
    assert content.regeneration == {}  # used up by its render round


@pytest.mark.parametrize(
    "edits",
    [{"layout": "two_column"}, {"text_scale": 1.25}, {"emphasis": 1}, {"layout": "step_list"}],
    ids=["layout", "text_scale", "emphasis", "numbered"],
)
def test_each_drawing_edit_changes_the_slide(api, content, settings, edits):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}

    before, after = regenerated(api, content, {"from_step": "render", "edits": edits})

    assert changed_pixels(before, after) > 500
    assert after.params["edits"] == edits
    if "layout" in edits:
        assert after.output_data["layout"] == edits["layout"]


def test_the_versions_show_the_edits_and_who_asked(api, user, content, settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    regenerated(api, content, {"edits": {"layout": "hierarchy"}})  # from describe, to render

    versions = api.get(f"/api/v1/pages/{content.pk}/versions/").json()["results"]

    assert [version["edits"] for version in versions] == [None, {"layout": "hierarchy"}]
    assert versions[-1]["requested_by"] == f"user:{user.pk}"
    assert versions[-1]["selected"]


def test_a_cover_takes_a_new_subtitle(api, batch, settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    cover = batch.pages.get(plan__kind="cover")

    before, after = regenerated(api, cover, {"from_step": "render", "edits": {"subtitle": "2027"}})

    assert changed_pixels(before, after) > 100
    assert Page.objects.get(pk=cover.pk).plan["subtitle"] == "2027"


def assert_nothing_changed(page: Page) -> None:
    fresh = Page.objects.get(pk=page.pk)
    assert (fresh.status, fresh.plan, fresh.regeneration) == (page.status, page.plan, {})
    assert fresh.instruction == ""
    assert not StepRun.objects.filter(page=page, round_closed=False).exists()


def test_an_instruction_for_a_local_page_is_refused_naming_the_edits(api, content):
    response = regenerate(api, content, {"instruction": "make the title shorter"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["details"]) == ["instruction"]
    for field in ("title", "subtitle", "items", "layout", "text_scale", "emphasis"):
        assert field in error["message"]
    assert_nothing_changed(content)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"edits": {"layout": "spiral"}}, "edits"),
        ({"edits": {"text_scale": 5}}, "edits"),
        ({"edits": {"text_scale": 0.79}}, "edits"),
        ({"edits": {"text_scale": 1.31}}, "edits"),
        ({"edits": {"emphasis": -1}}, "edits"),
        ({"edits": {"emphasis": "1"}}, "edits"),
        ({"edits": {"title": 7}}, "edits"),
        ({"edits": {"items": []}}, "edits"),
        ({"edits": {"items": [{"title": "a", "body": "b"}]}}, "edits"),
        ({"edits": {"colour": "red"}}, "edits"),
        ({"edits": []}, "edits"),
        ({"edits": {}}, "edits"),
        ({"edits": {"emphasis": 3}}, "emphasis"),  # the page has three items: 0 to 2
        ({"edits": {"items": [{"title": "", "text": ""}]}}, "items"),
        ({"edits": {"title": "   "}}, "edits"),
        ({"edits": {"subtitle": "no subtitle on a content page"}}, "subtitle"),
        ({"from_step": "finish", "edits": {"title": "New"}}, "from_step"),
        ({"mode": "redraw"}, "mode"),
        ({"mode": "sketch"}, "mode"),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(api, content, payload, field):
    response = regenerate(api, content, payload)

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == [field]
    assert_nothing_changed(content)


def test_edits_that_a_cover_does_not_show_are_refused(api, batch):
    cover = batch.pages.get(plan__kind="cover")

    response = regenerate(api, cover, {"edits": {"layout": "hierarchy"}})

    assert response.status_code == 400
    assert "cover page shows no layout" in response.json()["error"]["message"]
    assert_nothing_changed(cover)


def test_edits_for_a_running_page_are_a_conflict_and_change_nothing(api, content):
    Page.objects.filter(pk=content.pk).update(status=PageStatus.RUNNING)
    content.refresh_from_db()

    response = regenerate(api, content, {"edits": {"title": "New"}})

    assert response.status_code == 409
    assert "being generated" in response.json()["error"]["message"]
    assert_nothing_changed(content)


def test_a_plain_regeneration_starts_from_the_default_params(api, content, settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    regenerated(api, content, {"from_step": "render", "edits": {"layout": "hierarchy"}})

    _, after = regenerated(api, content, {"from_step": "render"})

    assert "edits" not in after.params
    assert after.params["layout"] == "auto"
    assert after.output_data["layout"] == "grid"  # the page's own, chosen again
    assert after.requested_by == ""
    assert Image.open(after.output_image).size == (1536, 864)


def test_a_sections_new_title_shows_on_the_contents_and_ending_pages(api, user):
    deck = batch_run(batch=make_batch(owner=user))  # sections Foundations, Practice; an ending
    section = deck.pages.get(plan__kind="transition", title="Practice")

    response = regenerate(api, section, {"from_step": "render", "edits": {"title": "In practice"}})

    assert response.status_code == 202, response.json()
    contents = deck.pages.get(plan__kind="contents")
    assert [item["title"] for item in contents.plan["items"]] == ["Foundations", "In practice"]
    ending = deck.pages.get(plan__kind="ending")
    assert ending.plan["subtitle"] == "Foundations · In practice"
    for page in (contents, ending):
        assert (page.status, page.resume_step) == (PageStatus.PENDING, "describe")
    for page in deck.pages.exclude(status=PageStatus.COMPLETED):
        assert page_run(page=page).status == PageStatus.COMPLETED


def test_an_edit_that_keeps_the_title_leaves_the_other_pages_alone(api, user):
    deck = batch_run(batch=make_batch(owner=user))
    section = deck.pages.get(plan__kind="transition", title="Practice")

    response = regenerate(api, section, {"from_step": "render", "edits": {"text_scale": 1.2}})

    assert response.status_code == 202, response.json()
    assert list(deck.pages.exclude(status=PageStatus.COMPLETED)) == [section]

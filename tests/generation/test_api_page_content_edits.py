"""Editing a page's content through the API: text runs the page again from describe, a
layout from render, nothing changed runs nothing, and a wrong or oversized edit is refused."""

import pytest

from generation.models import Batch, BatchStatus, Page, PageStatus, StepRun
from generation.tasks import run_page
from tests.api_errors import error_of
from tests.generation import page_edits
from tests.generation.page_edits import NEW_ITEMS, edit, page_at, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

# The deck every test starts from (tests/generation/page_edits.py), bound by name for pytest.
batch = page_edits.batch


def test_editing_a_pages_text_runs_it_again_from_describe(
    api, batch, django_capture_on_commit_callbacks
):
    page = page_at(batch, 4)
    describes = StepRun.objects.filter(page=page, step="describe").count()

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = edit(api, page, {"title": "Why remote wins", "items": NEW_ITEMS})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["resume_step"], body["title"]) == (
        "pending",
        "describe",
        "Why remote wins",
    )
    assert body["plan"]["items"] == [
        {"title": "Async first", "text": "write it down", "children": []},
        {"title": "Meet less", "text": "", "children": ["one weekly sync"]},
    ]
    assert body["plan"]["semanticFeatures"]["logicType"]
    assert len(queued) == 1
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.RUNNING
    run_page(page.pk)
    page.refresh_from_db()
    assert page.status == PageStatus.COMPLETED
    assert StepRun.objects.filter(page=page, step="describe").count() == describes + 1
    assert "Why remote wins" in page.description
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.COMPLETED


def test_a_layout_change_alone_runs_the_page_again_from_render_in_that_layout(api, batch):
    page = page_at(batch, 4)
    describes = StepRun.objects.filter(page=page, step="describe").count()

    response = edit(api, page, {"layout": "two_column"})

    assert response.status_code == 200, response.content
    assert response.json()["resume_step"] == "render"
    run_page(page.pk)
    render = StepRun.objects.selected().get(page=page, step="render")
    assert render.output_data["layout"] == "two_column"
    assert StepRun.objects.filter(page=page, step="describe").count() == describes


def test_an_edit_that_changes_nothing_runs_nothing(api, batch):
    page = page_at(batch, 4)

    response = edit(api, page, {"title": page.title})

    assert response.json()["status"] == "completed"


@pytest.mark.parametrize(
    ("index", "plan", "field"),
    [
        (4, {"layout": "carousel"}, "layout"),
        (4, {"layout": "Grid"}, "layout"),
        (4, {"title": ""}, "title"),
        (4, {"title": "x" * 301}, "title"),
        (4, {"items": [{"title": "", "text": ""}]}, "items"),
        (4, {"items": [{"title": 3}]}, "items"),
        (4, {}, "plan"),
        (3, {"items": NEW_ITEMS}, "items"),
        (3, {"subtitle": "07"}, "subtitle"),
        (2, {"items": NEW_ITEMS}, "items"),
        (1, {"layout": "grid"}, "layout"),
    ],
)
def test_a_wrong_edit_is_refused_naming_the_field_and_nothing_changes(
    api, batch, index, plan, field
):
    before = snapshot(batch)

    error = error_of(edit(api, page_at(batch, index), plan), 400)

    assert error["code"] == "invalid"
    assert field in str(error["details"]) or field in error["message"]
    assert snapshot(batch) == before


def test_text_that_cannot_fit_on_a_slide_is_refused(api, batch):
    long_items = [{"title": f"Point {n}", "text": "word " * 200} for n in range(12)]
    before = snapshot(batch)

    error = error_of(edit(api, page_at(batch, 4), {"items": long_items}), 400)

    assert error["message"].startswith("the page's text does not fit on one slide")
    assert snapshot(batch) == before


def test_editing_a_page_being_generated_waits_for_its_step(api, batch):
    page = page_at(batch, 4)
    Page.objects.filter(pk=page.pk).update(status=PageStatus.RUNNING, current_step="render")
    before = snapshot(batch)

    error = error_of(edit(api, page, {"title": "Too soon"}), 409)

    assert error["message"] == (
        "page 4 (Why remote works) is being generated right now; "
        "try again when its current step has finished"
    )
    assert snapshot(batch) == before


def test_choosing_auto_again_leaves_the_layout_to_the_renderer(api, batch):
    page = page_at(batch, 4)
    edit(api, page, {"layout": "bullets"})
    run_page(page.pk)

    response = edit(api, page, {"layout": "auto"})

    assert "layout" not in response.json()["plan"]
    assert response.json()["resume_step"] == "render"

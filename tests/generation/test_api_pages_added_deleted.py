"""Adding and deleting a deck's pages through the API: a page added is planned in its section
and generated, one deleted takes its rows and files with it, the rest move, and a wrong
request changes nothing."""

import threading

import pytest
from django.core.files.storage import default_storage
from django.db import connections

from generation.models import Batch, BatchStatus, Page, PageStatus, StepRun
from generation.services.page_edits import page_insert
from generation.tasks import plan_batch
from tests.api_errors import error_of
from tests.factories import make_batch
from tests.generation import page_edits
from tests.generation.page_edits import (
    NEW_ITEMS,
    NO_ENDING,
    TITLES,
    add,
    page_at,
    run_open_pages,
    snapshot,
    titles,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

# The deck every test starts from (tests/generation/page_edits.py), bound by name for pytest.
batch = page_edits.batch


def test_an_added_page_is_planned_in_its_section_and_generated(api, batch):
    response = add(api, batch, 5, {"title": "Remote rituals", "items": NEW_ITEMS})

    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == body["url"]
    assert (body["index"], body["kind"], body["status"]) == (5, "content", "pending")
    assert body["plan"]["section"] == "Foundations"
    assert body["plan"]["language"] == "en"
    assert set(body["plan"]["semanticFeatures"]) == {"logicType", "contentType"}
    assert titles(batch) == [*TITLES[:4], "Remote rituals", *TITLES[4:]]
    run_open_pages(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.total_pages, batch.completed_pages) == ("completed", 8, 8)
    progress = api.get(f"/api/v1/batches/{batch.pk}/progress/").json()
    assert (progress["total"], progress["completed"]) == (8, 8)


@pytest.mark.parametrize(
    ("index", "plan", "status"),
    [
        (0, {"title": "Zero"}, 400),
        (9, {"title": "Too far"}, 400),
        (3, {"items": NEW_ITEMS}, 400),
        (3, {"title": "  "}, 400),
        (3, {"title": "Odd", "layout": "carousel"}, 400),
        ("3", {"title": "Text index"}, 400),
    ],
)
def test_a_wrong_page_to_add_is_refused_and_nothing_changes(api, batch, index, plan, status):
    before = snapshot(batch)

    error_of(add(api, batch, index, plan), status)

    assert snapshot(batch) == before


def test_adding_past_the_page_limit_is_refused(api, batch, settings):
    settings.NANODECK = {**settings.NANODECK, "MAX_PAGES_PER_BATCH": 7}

    error = error_of(add(api, batch, 8, {"title": "One more"}), 409)

    assert "MAX_PAGES_PER_BATCH" in error["message"]
    assert batch.pages.count() == 7


def test_deleting_a_page_removes_its_rows_and_files_and_the_rest_move_up(
    api, batch, django_capture_on_commit_callbacks
):
    page = page_at(batch, 4)
    files = [page.image.name, page.thumbnail.name]
    files += [run.output_image.name for run in page.step_runs.exclude(output_image="")]

    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"/api/v1/pages/{page.pk}/")

    assert response.status_code == 204
    assert not Page.objects.filter(pk=page.pk).exists()
    assert not StepRun.objects.filter(page_id=page.pk).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert titles(batch) == [t for t in TITLES if t != "Why remote works"]
    batch.refresh_from_db()
    assert (batch.status, batch.total_pages) == ("completed", 6)
    assert api.get(f"/api/v1/batches/{batch.pk}/progress/").json()["total"] == 6


def test_deleting_a_section_page_renumbers_the_sections_and_the_contents(api, batch):
    assert api.delete(f"/api/v1/pages/{page_at(batch, 3).pk}/").status_code == 204

    practice = page_at(batch, 5)
    assert (practice.title, practice.plan["subtitle"]) == ("Practice", "Part 1")
    assert [item["title"] for item in page_at(batch, 2).plan["items"]] == ["Practice"]


def test_deleting_the_failed_page_of_a_partial_batch_completes_it(api, batch):
    page = page_at(batch, 7)
    Page.objects.filter(pk=page.pk).update(status=PageStatus.FAILED, error="boom")
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.PARTIAL)

    assert api.delete(f"/api/v1/pages/{page.pk}/").status_code == 204

    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.COMPLETED


def test_deleting_a_page_being_generated_or_the_last_page_is_refused(api, batch):
    page = page_at(batch, 4)
    Page.objects.filter(pk=page.pk).update(status=PageStatus.RUNNING)

    assert "being generated" in error_of(api.delete(f"/api/v1/pages/{page.pk}/"), 409)["message"]
    Page.objects.filter(batch=batch).exclude(pk=page.pk).delete()
    Page.objects.filter(pk=page.pk).update(status=PageStatus.COMPLETED)
    error = error_of(api.delete(f"/api/v1/pages/{page.pk}/"), 409)
    assert error["message"] == "a deck keeps at least one page; delete the batch instead"


@pytest.mark.django_db(transaction=True)
def test_pages_added_and_moved_at_once_keep_one_page_per_index(user, settings):
    """Concurrent edits of one deck wait for each other (the batch's row lock): every page is
    added, none is lost or shares an index. PostgreSQL only: SQLite runs one writer at a time."""
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("needs PostgreSQL's concurrent transactions")
    batch = make_batch(owner=user, options={**NO_ENDING, "pause_after": "plan"})
    plan_batch(str(batch.pk))
    start = threading.Barrier(4)

    def add_one(n: int) -> None:
        start.wait()
        try:
            page_insert(batch=batch, index=2, plan={"title": f"Added {n}"})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add_one, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    pages = list(batch.pages.order_by("index"))
    assert [page.index for page in pages] == list(range(1, 12))
    assert sorted(p.title for p in pages if p.title.startswith("Added")) == [
        f"Added {n}" for n in range(4)
    ]
    batch.refresh_from_db()
    assert (batch.total_pages, batch.counters.pending) == (11, 11)

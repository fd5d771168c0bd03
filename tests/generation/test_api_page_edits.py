"""Editing a deck's pages: a page's content changed, pages added, deleted and moved; the
contents page and section numbers follow, exports use the new order, and a wrong request
changes nothing."""

import io
import threading
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.db import connections
from rest_framework.test import APIClient

from generation.models import Batch, BatchStatus, Page, PageStatus, StepRun
from generation.services.batches import batch_run
from generation.services.page_edits import page_insert
from generation.tasks import plan_batch, run_page
from tests.api_errors import error_of
from tests.factories import UserFactory, make_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

# cover, contents, 01 Foundations, Why remote works, Tools compared, 02 Practice, Onboarding steps
TITLES = [
    "Remote Work Playbook",
    "Contents",
    "Foundations",
    "Why remote works",
    "Tools compared",
    "Practice",
    "Onboarding steps",
]
NO_ENDING = {"ending": False}  # the ending page follows the sections too: see its own test
NEW_ITEMS = [
    {"title": "Async first", "text": "write it down"},
    {"title": "Meet less", "text": "", "children": ["one weekly sync"]},
]


@pytest.fixture
def batch(user) -> Batch:
    return batch_run(batch=make_batch(owner=user, options=NO_ENDING))


@pytest.fixture
def paused(user) -> Batch:
    batch = make_batch(owner=user, options={**NO_ENDING, "pause_after": "plan"})
    plan_batch(str(batch.pk))
    return Batch.objects.get(pk=batch.pk)


def page_at(batch: Batch, index: int) -> Page:
    return batch.pages.get(index=index)


def titles(batch: Batch) -> list[str]:
    return list(batch.pages.order_by("index").values_list("title", flat=True))


def edit(api, page: Page, plan: dict):
    return api.patch(f"/api/v1/pages/{page.pk}/", {"plan": plan}, format="json")


def reorder(api, batch: Batch, ids: list):
    return api.post(f"/api/v1/batches/{batch.pk}/reorder/", {"pages": ids}, format="json")


def add(api, batch: Batch, index: object, plan: dict):
    body = {"index": index, "plan": plan}
    return api.post(f"/api/v1/batches/{batch.pk}/pages/", body, format="json")


def run_open_pages(batch: Batch) -> None:
    for page_id in batch.pages.exclude(status=PageStatus.COMPLETED).values_list("pk", flat=True):
        run_page(page_id)


def snapshot(batch: Batch) -> list[tuple]:
    return list(batch.pages.order_by("index").values_list("pk", "index", "title", "plan", "status"))


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


def test_renaming_a_section_renames_it_on_the_contents_page(api, batch):
    response = edit(api, page_at(batch, 6), {"title": "In practice"})

    assert response.status_code == 200, response.content
    contents = page_at(batch, 2)
    assert [item["title"] for item in contents.plan["items"]] == ["Foundations", "In practice"]
    assert (contents.status, contents.resume_step) == (PageStatus.PENDING, "describe")
    run_open_pages(batch)
    assert set(batch.pages.values_list("status", flat=True)) == {PageStatus.COMPLETED}


def test_reordering_renumbers_the_sections_and_exports_follow(api, batch):
    ids = [page_at(batch, n).pk for n in (1, 2, 6, 7, 3, 4, 5)]

    response = reorder(api, batch, ids)

    assert response.status_code == 200, response.content
    assert [page["id"] for page in response.json()] == ids
    assert titles(batch) == [TITLES[n - 1] for n in (1, 2, 6, 7, 3, 4, 5)]
    practice, foundations = page_at(batch, 3), page_at(batch, 5)
    assert (practice.plan["section_index"], practice.plan["subtitle"]) == (1, "Part 1")
    assert (foundations.plan["section_index"], foundations.plan["subtitle"]) == (2, "Part 2")
    contents = page_at(batch, 2)
    assert [item["title"] for item in contents.plan["items"]] == ["Practice", "Foundations"]
    moved_only = page_at(batch, 4)  # Onboarding steps: moved, not changed
    assert moved_only.status == PageStatus.COMPLETED
    run_open_pages(batch)
    exported = api.get(f"/api/v1/batches/{batch.pk}/export/", {"format": "zip"})
    with zipfile.ZipFile(io.BytesIO(b"".join(exported.streaming_content))) as deck:
        for page in batch.pages.all():
            assert deck.read(f"slide-{page.index:02d}.png") == page.image.open("rb").read()


@pytest.mark.parametrize("change", ["foreign", "missing", "twice"])
def test_a_reorder_that_is_not_the_batchs_pages_once_each_is_refused(api, user, batch, change):
    ids = list(batch.pages.order_by("index").values_list("pk", flat=True))
    other = batch_run(batch=make_batch(owner=user)).pages.first().pk
    ids = {
        "foreign": [other, *ids[1:]],
        "missing": ids[:-1],
        "twice": [*ids, ids[0]],
    }[change]
    before = snapshot(batch)

    error = error_of(reorder(api, batch, ids), 400)

    assert error["details"]["pages"]
    if change == "foreign":
        assert error["message"] == f"page {other} is not a page of this batch"
    assert snapshot(batch) == before


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


def test_a_batch_awaiting_approval_is_edited_without_starting_generation(
    api, paused, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert edit(api, page_at(paused, 4), {"title": "Why it works"}).status_code == 200
        assert edit(api, page_at(paused, 5), {"layout": "grid"}).status_code == 200
        assert add(api, paused, 8, {"title": "Wrap-up", "items": NEW_ITEMS}).status_code == 201
        ids = list(paused.pages.order_by("index").values_list("pk", flat=True))
        new_order = [*ids[:2], *ids[5:7], *ids[2:5], ids[7]]
        assert reorder(api, paused, new_order).status_code == 200
        assert api.delete(f"/api/v1/pages/{ids[6]}/").status_code == 204

    assert queued == []
    paused.refresh_from_db()
    assert (paused.status, paused.total_pages) == (BatchStatus.AWAITING_APPROVAL, 7)
    assert not StepRun.objects.filter(batch=paused, page__isnull=False).exists()
    pages = list(paused.pages.order_by("index"))
    assert {(p.status, p.resume_step) for p in pages} == {(PageStatus.PENDING, "describe")}
    assert [p.title for p in pages] == [
        "Remote Work Playbook",
        "Contents",
        "Practice",
        "Foundations",
        "Why it works",
        "Tools compared",
        "Wrap-up",
    ]
    assert api.post(f"/api/v1/batches/{paused.pk}/approve/").status_code == 202
    run_open_pages(paused)
    assert Batch.objects.get(pk=paused.pk).status == BatchStatus.COMPLETED


@pytest.mark.parametrize("status", [BatchStatus.PENDING, BatchStatus.CANCELLED])
def test_pages_of_a_batch_not_planned_or_cancelled_are_not_edited(api, batch, status):
    Batch.objects.filter(pk=batch.pk).update(status=status)
    page = page_at(batch, 4)
    before = snapshot(batch)
    ids = [p for _, p in sorted((p.index, p.pk) for p in batch.pages.all())]

    for response in (
        edit(api, page, {"title": "No"}),
        add(api, batch, 2, {"title": "No"}),
        reorder(api, batch, ids[::-1]),
        api.delete(f"/api/v1/pages/{page.pk}/"),
    ):
        assert error_of(response, 409)["message"].startswith(f"the batch is {status}")
    assert snapshot(batch) == before


def test_other_users_cannot_edit_add_move_or_delete(batch):
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())
    page = page_at(batch, 4)
    ids = list(batch.pages.values_list("pk", flat=True))

    for response in (
        edit(stranger, page, {"title": "Mine"}),
        add(stranger, batch, 2, {"title": "Mine"}),
        reorder(stranger, batch, ids),
        stranger.delete(f"/api/v1/pages/{page.pk}/"),
    ):
        assert error_of(response, 404)["code"] == "not_found"


ZH_OUTLINE = """# 远程办公

## 基础
### 为什么可行
- 专注时间：更少打扰
- 招聘：人才不限地域

## 实践
### 入职步骤
- 第一步：电脑和账号
- 第二步：导师和第一个任务
"""


def test_a_chinese_decks_sections_are_renumbered_in_chinese(api, user):
    batch = batch_run(batch=make_batch(owner=user, outline=ZH_OUTLINE, options=NO_ENDING))
    ids = [page_at(batch, n).pk for n in (1, 2, 5, 6, 3, 4)]

    assert reorder(api, batch, ids).status_code == 200

    practice, basics = page_at(batch, 3), page_at(batch, 5)
    assert (practice.title, practice.plan["subtitle"]) == ("实践", "第一部分")
    assert (basics.title, basics.plan["subtitle"]) == ("基础", "第二部分")
    assert [item["title"] for item in page_at(batch, 2).plan["items"]] == ["实践", "基础"]
    added = add(api, batch, 5, {"title": "远程的仪式感", "items": [{"text": "每周一次同步"}]})
    assert added.json()["plan"]["language"] == "zh"


def test_a_running_page_may_be_moved_its_content_unchanged(api, batch):
    running = page_at(batch, 7)
    Page.objects.filter(pk=running.pk).update(status=PageStatus.RUNNING)
    ids = [page_at(batch, n).pk for n in (1, 2, 3, 4, 7, 5, 6)]

    assert reorder(api, batch, ids).status_code == 200

    running.refresh_from_db()
    assert (running.index, running.status, running.title) == (5, "running", "Onboarding steps")


def test_a_contents_page_being_generated_holds_a_reorder_of_the_sections(api, batch):
    Page.objects.filter(pk=page_at(batch, 2).pk).update(status=PageStatus.RUNNING)
    ids = [page_at(batch, n).pk for n in (1, 2, 6, 7, 3, 4, 5)]
    before = snapshot(batch)

    error = error_of(reorder(api, batch, ids), 409)

    assert error["message"].startswith("page 2 (Contents) is being generated right now")
    assert snapshot(batch) == before


def test_choosing_auto_again_leaves_the_layout_to_the_renderer(api, batch):
    page = page_at(batch, 4)
    edit(api, page, {"layout": "bullets"})
    run_page(page.pk)

    response = edit(api, page, {"layout": "auto"})

    assert "layout" not in response.json()["plan"]
    assert response.json()["resume_step"] == "render"


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


def test_the_ending_page_lists_the_sections_as_they_are_now(api, user):
    batch = batch_run(batch=make_batch(owner=user))
    ending = batch.pages.get(kind="ending")
    assert ending.plan["subtitle"] == "Foundations · Practice"
    ids = list(batch.pages.order_by("index").values_list("pk", flat=True))

    assert edit(api, page_at(batch, 6), {"title": "In practice"}).status_code == 200
    assert reorder(api, batch, [*ids[:2], *ids[5:7], *ids[2:5], ids[7]]).status_code == 200

    ending.refresh_from_db()
    assert (ending.index, ending.plan["subtitle"]) == (8, "In practice · Foundations")
    assert (ending.status, ending.resume_step) == (PageStatus.PENDING, "describe")
    edit(api, ending, {"subtitle": "See you soon"})
    assert api.delete(f"/api/v1/pages/{page_at(batch, 3).pk}/").status_code == 204
    ending.refresh_from_db()
    assert ending.plan["subtitle"] == "See you soon"  # written by people: left alone

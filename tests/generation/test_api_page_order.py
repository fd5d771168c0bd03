"""Moving a deck's pages and sections through the API: sections renumbered (in the deck's
language), the contents and ending pages follow, exports use the new order, and a reorder
that is not the batch's pages once each is refused."""

import io
import zipfile

import pytest

from generation.models import Page, PageStatus
from generation.services.batches import batch_run
from tests.api_errors import error_of
from tests.factories import make_batch
from tests.generation import page_edits
from tests.generation.page_edits import (
    NO_ENDING,
    TITLES,
    add,
    edit,
    page_at,
    reorder,
    run_open_pages,
    snapshot,
    titles,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

# The deck every test starts from (tests/generation/page_edits.py), bound by name for pytest.
batch = page_edits.batch


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

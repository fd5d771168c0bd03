"""When and by whom a deck's pages may be edited: a batch awaiting approval is edited without
starting generation, one not planned or cancelled is not, and other users see nothing."""

import pytest
from rest_framework.test import APIClient

from generation.models import Batch, BatchStatus, PageStatus, StepRun
from tests.api_errors import error_of
from tests.factories import UserFactory
from tests.generation import page_edits
from tests.generation.page_edits import (
    NEW_ITEMS,
    add,
    edit,
    page_at,
    reorder,
    run_open_pages,
    snapshot,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

# The decks the tests start from (tests/generation/page_edits.py), bound by name for pytest.
batch, paused = page_edits.batch, page_edits.paused


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

"""A batch that pauses after planning (options.pause_after "plan") until someone approves its
plan: nothing is drawn or paid for before the approval."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from generation.models import Batch, BatchStatus, Page, PageStatus, StepRun
from generation.services.batches import batch_run
from generation.services.sweeper import sweep
from generation.tasks import plan_batch, run_page
from tests.api_errors import error_of
from tests.factories import SlideTemplateFactory, UserFactory, make_batch

pytestmark = pytest.mark.django_db

OUTLINE = "# 审批测试 Approval\n\n### 第一页\n- 要点一\n- 要点二\n\n### Second page\n- one\n- two\n"


@pytest.fixture
def paused(user) -> Batch:
    """A batch planned with pause_after "plan", as its plan task leaves it."""
    batch = make_batch(owner=user, outline=OUTLINE, options={"pause_after": "plan"})
    plan_batch(str(batch.pk))
    return Batch.objects.get(pk=batch.pk)


def approve(api, batch: Batch):
    return api.post(f"/api/v1/batches/{batch.pk}/approve/")


def test_a_batch_asked_to_pause_stops_after_planning_with_its_plans_readable(api, user):
    created = api.post(
        "/api/v1/batches/",
        {
            "outline": OUTLINE,
            "template": SlideTemplateFactory().slug,
            "options": {"pause_after": "plan"},
        },
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["options"]["pause_after"] == "plan"

    assert plan_batch(created.json()["id"]) == BatchStatus.AWAITING_APPROVAL

    pages = Page.objects.filter(batch_id=created.json()["id"])
    assert not pages.filter(queued_at__isnull=False).exists()  # no page goes to a worker
    batch = api.get(f"/api/v1/batches/{created.json()['id']}/").json()
    assert batch["status"] == "awaiting_approval"
    assert [page["status"] for page in batch["pages"]] == ["pending"] * len(batch["pages"])
    detail = api.get(batch["pages"][1]["url"]).json()
    assert detail["plan"]["title"]
    assert not StepRun.objects.filter(batch_id=batch["id"], step="render").exists()


def test_approving_sends_the_pages_to_the_workers_and_the_deck_is_made(
    api, paused, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = approve(api, paused)

    assert response.status_code == 202
    assert response.json()["status"] == "running"
    # one send of every pending page (with REDIS_URL, the events' wake-up message is queued too)
    assert [c.__qualname__.split(".")[0] for c in queued].count("pages_enqueue") == 1
    assert not paused.pages.filter(queued_at__isnull=True).exists()
    for page in paused.pages.all():
        run_page(page.pk)
    paused.refresh_from_db()
    assert paused.status == BatchStatus.COMPLETED


@pytest.mark.parametrize("status", ["pending", "planning", "running", "completed", "cancelled"])
def test_only_a_batch_awaiting_approval_can_be_approved(api, paused, status):
    Batch.objects.filter(pk=paused.pk).update(status=status)

    error = error_of(approve(api, paused), 409)

    assert error["message"] == (
        f"the batch is {status}; only a batch awaiting approval (options.pause_after) can be "
        "approved"
    )
    assert Batch.objects.get(pk=paused.pk).status == status


def test_another_users_batch_cannot_be_approved(paused):
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())

    assert error_of(approve(stranger, paused), 404)["code"] == "not_found"
    assert Batch.objects.get(pk=paused.pk).status == BatchStatus.AWAITING_APPROVAL


@pytest.mark.parametrize("value", ["images", "PLAN", 5, ["plan"]])
def test_a_pause_that_is_not_plan_is_refused_naming_the_option(api, value):
    response = api.post(
        "/api/v1/batches/",
        {
            "outline": OUTLINE,
            "template": SlideTemplateFactory().slug,
            "options": {"pause_after": value},
        },
        format="json",
    )

    assert error_of(response, 400)["message"].startswith("pause_after must be")
    assert not Batch.objects.exists()


def test_the_sweeper_leaves_the_pages_of_a_paused_batch_alone(paused):
    Page.objects.filter(batch=paused).update(queued_at=timezone.now() - timedelta(hours=1))

    sweep()

    assert set(paused.pages.values_list("status", flat=True)) == {PageStatus.PENDING}
    assert Batch.objects.get(pk=paused.pk).status == BatchStatus.AWAITING_APPROVAL


def test_a_page_of_a_paused_batch_is_not_regenerated_before_approval(api, paused):
    page = paused.pages.first()

    error = error_of(api.post(f"/api/v1/pages/{page.pk}/regenerate/"), 409)

    assert error["message"].startswith("the batch is awaiting_approval")
    assert Batch.objects.get(pk=paused.pk).status == BatchStatus.AWAITING_APPROVAL


def test_a_paused_batch_can_be_cancelled_instead(api, paused):
    response = api.post(f"/api/v1/batches/{paused.pk}/cancel/")

    assert response.json()["status"] == "cancelled"
    assert set(paused.pages.values_list("status", flat=True)) == {PageStatus.CANCELLED}


def test_a_synchronous_run_stops_at_the_pause_too(user):
    batch = batch_run(
        batch=make_batch(owner=user, outline=OUTLINE, options={"pause_after": "plan"})
    )

    assert batch.status == BatchStatus.AWAITING_APPROVAL
    assert not StepRun.objects.filter(batch=batch, step="describe").exists()

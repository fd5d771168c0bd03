"""The page API: detail with every step attempt, and regeneration (see also\ntest_api_page_regenerate.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from generation.models import Batch, BatchStatus, Page, PageStatus
from generation.services.batches import batch_run
from tests.factories import UserFactory, make_batch
from tests.media import signed_name

pytestmark = pytest.mark.django_db

SHORT_OUTLINE = "# Short deck\n\n### One\n- a\n- b\n\n### Two\n- c\n- d\n"


@pytest.fixture
def batch(user) -> Batch:
    return batch_run(batch=make_batch(owner=user, outline=SHORT_OUTLINE))


def page_url(page: Page, suffix: str = "") -> str:
    return f"/api/v1/pages/{page.pk}/{suffix}"


def error_of(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


def test_the_page_detail_lists_every_step_attempt(api, batch):
    page = batch.pages.get(index=2)

    body = api.get(page_url(page)).json()

    assert body["batch"] == str(batch.pk)
    assert body["batch_url"] == f"http://testserver/api/v1/batches/{batch.pk}/"
    assert body["title"] == page.title
    assert body["description"] == page.description
    assert body["status"] == "completed"
    runs = body["step_runs"]
    assert [run["step"] for run in runs][:1] == ["describe"]
    assert {run["step"] for run in runs} == {"describe", "render", "finish"}
    renders = [run for run in runs if run["step"] == "render"]
    assert body["attempts"] == len(renders)
    selected = next(run for run in renders if run["selected"])
    assert body["score"] == selected["score"]
    assert signed_name(selected["output_image"]).startswith("batches/")
    assert selected["threshold"] >= 0
    assert selected["provider"] == "local"
    assert set(selected) >= {
        "attempt",
        "passed",
        "params",
        "adjustments",
        "metrics",
        "hints",
        "model",
        "latency_ms",
        "cache_hit",
        "error_kind",
        "error_message",
        "started_at",
        "finished_at",
    }


def test_the_page_detail_query_count_does_not_grow_with_the_attempts(
    api, user, batch, django_assert_max_num_queries
):
    fewest, most = batch.pages.order_by("index")[:2]
    render = most.step_runs.get(step="render")
    for attempt in (2, 3, 4):  # earlier attempts of the round that were not selected
        render.pk, render.attempt, render.selected = None, attempt, False
        render.save()
    assert most.step_runs.count() > fewest.step_runs.count()
    with CaptureQueriesContext(connection) as for_fewest:
        api.get(page_url(fewest))

    with django_assert_max_num_queries(len(for_fewest)):
        response = api.get(page_url(most))

    assert len(response.json()["step_runs"]) == most.step_runs.count()


def test_a_user_cannot_see_another_users_page(batch):
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())
    page = batch.pages.first()

    shown = stranger.get(page_url(page))
    regenerated = stranger.post(page_url(page, "regenerate/"), {})

    assert shown.status_code == regenerated.status_code == 404
    assert error_of(shown)["code"] == "not_found"
    page.refresh_from_db()
    assert page.status == "completed"


def test_staff_see_any_page(batch):
    staff = APIClient()
    staff.force_authenticate(UserFactory(is_staff=True))

    assert staff.get(page_url(batch.pages.first())).status_code == 200


def test_regenerating_a_page_queues_it_with_the_edits(
    api, batch, django_capture_on_commit_callbacks
):
    page = batch.pages.get(index=2)

    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            page_url(page, "regenerate/"),
            {"edits": {"title": "更短的标题", "text_scale": 1.1}, "from_step": "render"},
            format="json",
        )

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending"
    assert body["resume_step"] == "render"
    assert body["plan"]["title"] == "更短的标题"
    assert len(callbacks) == 1
    batch.refresh_from_db()
    assert batch.status == "running"


def test_regenerating_defaults_to_the_describe_step_without_instruction(api, batch):
    page = batch.pages.get(index=2)

    body = api.post(page_url(page, "regenerate/")).json()

    assert body["resume_step"] == "describe"
    assert body["instruction"] == ""


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"from_step": "plan"}, "from_step"),
        ({"instruction": "x" * 2001}, "instruction"),
    ],
)
def test_invalid_regeneration_input_is_refused_naming_the_field(api, batch, payload, field):
    page = batch.pages.get(index=2)

    response = api.post(page_url(page, "regenerate/"), payload)

    assert response.status_code == 400
    assert list(error_of(response)["details"]) == [field]
    page.refresh_from_db()
    assert page.status == "completed"


def test_regenerating_a_page_being_generated_is_a_conflict(api, batch):
    page = batch.pages.get(index=2)
    Page.objects.filter(pk=page.pk).update(status=PageStatus.RUNNING)

    response = api.post(page_url(page, "regenerate/"))

    assert response.status_code == 409
    assert error_of(response) == {
        "code": "conflict",
        "message": "the page is being generated right now; try again when it has finished",
        "details": {},
    }


def test_regenerating_a_page_of_a_cancelled_batch_is_a_conflict(api, batch):
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.CANCELLED)

    response = api.post(page_url(batch.pages.first(), "regenerate/"))

    assert response.status_code == 409
    assert "cancelled" in error_of(response)["message"]


def test_the_regeneration_after_the_rate_is_throttled(api, batch, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "regenerate": "2/min"}
    page = batch.pages.get(index=2)

    answers = [api.post(page_url(page, "regenerate/")).status_code for _ in range(3)]

    assert answers == [202, 202, 429]
    throttled = api.post(page_url(page, "regenerate/"))
    assert error_of(throttled)["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0


def test_flagging_a_page_sends_its_image_to_human_review(
    api, batch, django_capture_on_commit_callbacks
):
    from review.models import ReviewItem

    page = batch.pages.get(index=2)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(page_url(page, "flag/"), {"reason": "图表里的数字错了"}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert (body["flagged"], body["flag_reason"]) == (True, "图表里的数字错了")
    item = ReviewItem.objects.get(step_run__page=page)
    assert (item.step, item.reason, item.note) == ("render", "flagged", "图表里的数字错了")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 301}, "reason"),
        ({"reason": "bad", "step": "finish"}, "step"),
        ({"reason": "bad", "step": "plan"}, "step"),
    ],
)
def test_an_invalid_flag_is_refused_naming_the_field(api, batch, payload, field):
    page = batch.pages.get(index=2)

    response = api.post(page_url(page, "flag/"), payload, format="json")

    assert response.status_code == 400
    assert list(error_of(response)["details"]) == [field]
    assert not page.step_runs.filter(review_item__isnull=False).exists()


def test_flagging_a_page_without_an_image_yet_is_a_conflict(api, user):
    page = Page.objects.create(
        batch=make_batch(owner=user, outline=SHORT_OUTLINE), index=1, kind="content", title="T"
    )

    response = api.post(page_url(page, "flag/"), {"reason": "blank"}, format="json")

    assert response.status_code == 409
    assert "no render output yet" in error_of(response)["message"]


def test_a_user_cannot_flag_another_users_page(batch):
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())

    response = stranger.post(page_url(batch.pages.first(), "flag/"), {"reason": "x"})

    assert response.status_code == 404

"""A batch's detail and progress through the API: pages and progress in a fixed number of
queries, a progress answer small enough to poll, and nobody else's batch to see."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import EN_OUTLINE, UserFactory, make_batch
from tests.generation import batch_api
from tests.generation.batch_api import BATCHES, error_of, finished_batch
from tests.media import signed_name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

# The user, client and template (tests/generation/batch_api.py), bound by name for pytest.
user, api, template = batch_api.user, batch_api.api, batch_api.template


def test_the_detail_of_a_finished_batch_has_progress_and_pages(api, user):
    batch = finished_batch(user)

    body = api.get(f"{BATCHES}{batch.pk}/").json()

    assert body["status"] == "completed"
    progress = body["progress"]
    assert progress["total"] == progress["completed"] == 4  # cover, two pages, the ending
    assert progress["percentage"] == 100.0
    assert progress["eta_seconds"] == 0
    assert progress["steps"]["render"] == {"done": 4, "running": 0}
    polled = api.get(f"{BATCHES}{batch.pk}/progress/").json()
    assert progress == {key: value for key, value in polled.items() if key != "batch_id"}
    assert [page["index"] for page in body["pages"]] == [1, 2, 3, 4]
    first = body["pages"][0]
    page = batch.pages.get(index=1)
    render_runs = page.step_runs.filter(step="render")
    assert first["kind"] == "cover"
    assert first["status"] == "completed"
    assert first["attempts"] == render_runs.count()
    assert first["score"] == render_runs.get(selected=True).score
    assert signed_name(first["image"]) == page.image.name
    assert signed_name(first["thumbnail"]) == page.thumbnail.name
    assert first["url"] == f"http://testserver/api/v1/pages/{page.pk}/"


def test_the_detail_query_count_does_not_grow_with_the_number_of_pages(
    api, user, django_assert_max_num_queries
):
    small = finished_batch(user)
    large = finished_batch(user, outline=EN_OUTLINE)
    assert large.pages.count() > small.pages.count() + 3
    with CaptureQueriesContext(connection) as for_small:
        api.get(f"{BATCHES}{small.pk}/")

    with django_assert_max_num_queries(len(for_small)):
        response = api.get(f"{BATCHES}{large.pk}/")

    assert len(response.json()["pages"]) == large.pages.count()


def test_progress_is_small_enough_to_poll(api, user, template):
    batch = make_batch(owner=user, template=template)

    body = api.get(f"{BATCHES}{batch.pk}/progress/").json()

    assert body == {
        "batch_id": str(batch.pk),
        "status": "pending",
        "total": 0,
        "completed": 0,
        "failed": 0,
        "running": 0,
        "held": 0,
        "waiting_for_provider": 0,
        "pending": 0,
        "percentage": 0.0,
        "eta_seconds": 0,
        "cost_usd": 0.0,
        "budget_usd": None,
        "steps": {name: {"done": 0, "running": 0} for name in ("describe", "render", "finish")},
    }


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "progress/"),
        ("post", "cancel/"),
        ("post", "retry-failed/"),
        ("get", "export/?format=pdf"),
    ],
)
def test_a_user_cannot_see_or_touch_another_users_batch(api, template, method, suffix):
    batch = make_batch(owner=UserFactory(), template=template)

    response = getattr(api, method)(f"{BATCHES}{batch.pk}/{suffix}")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    batch.refresh_from_db()
    assert batch.status == "pending"


def test_a_malformed_batch_id_is_not_found(api):
    response = api.get(f"{BATCHES}not-a-uuid/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"

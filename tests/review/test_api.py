"""The review API: evaluators lease items, submit or skip them; statistics and calibration."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import StepPolicy
from review.models import Assignment, Evaluation, ReviewItem, ThresholdChange
from tests.factories import (
    CALIBRATION_AUTOS,
    RENDER_SCORES,
    UserFactory,
    make_judged_runs,
)
from tests.factories import make_review_items as make_items
from tests.media import signed_name

pytestmark = pytest.mark.django_db

BASE = "/api/v1/review"


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def make_evaluator():
    user = UserFactory()
    user.groups.add(Group.objects.get(name="evaluators"))
    return user


@pytest.fixture
def evaluator():
    return make_evaluator()


@pytest.fixture
def api(evaluator) -> APIClient:
    return client_for(evaluator)


@pytest.fixture
def staff_api() -> APIClient:
    return client_for(UserFactory(is_staff=True))


def error_of(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


def submit(api: APIClient, item: ReviewItem, **body):
    return api.post(
        f"{BASE}/items/{item.pk}/evaluations/",
        {"scores": RENDER_SCORES, "verdict": "accept", **body},
    )


def test_the_next_item_comes_with_its_criteria_and_without_others_scores(api, evaluator):
    (item,) = make_items(1, overlap=2)
    other = make_evaluator()
    other_api = client_for(other)
    other_api.get(f"{BASE}/next/")
    assert submit(other_api, item, comment="secret").status_code == 201

    response = api.get(f"{BASE}/next/?step=render")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["step"], body["reason"]) == (item.pk, "render", "below_threshold")
    lease = Assignment.objects.get(item=item, evaluator=evaluator)
    assert body["lease_expires_at"] == lease.leased_until.isoformat().replace("+00:00", "Z")
    assert body["input"]["description"] == "Describe page 1"
    assert body["input"]["plan"] == {"title": "Page 1"}
    assert signed_name(body["input"]["reference_image"]).startswith("batches/")
    assert body["auto"] == {
        "score": 5.0,
        "threshold": 7,
        "metrics": {"ocr": 0.5},
        "hints": ["crowded"],
    }
    assert [c["key"] for c in body["criteria"]] == list(RENDER_SCORES)
    assert set(body["criteria"][0]) == {"key", "label", "description", "weight"}
    text = response.content.decode()
    assert "secret" not in text
    assert "overall" not in text
    assert "evaluations" not in body


def test_an_empty_queue_answers_204(api):
    response = api.get(f"{BASE}/next/")

    assert response.status_code == 204
    assert response.content == b""


def test_a_submission_answers_201_and_closes_the_item(api, evaluator):
    (item,) = make_items(1)
    api.get(f"{BASE}/next/")

    response = submit(api, item, seconds_spent=30)

    assert response.status_code == 201
    body = response.json()
    assert body["verdict"] == "accept"
    assert body["scores"] == RENDER_SCORES
    assert body["overall"] == Evaluation.objects.get(pk=body["id"]).overall
    item.refresh_from_db()
    assert item.status == "done"


def test_bad_scores_answer_400_naming_scores(api):
    (item,) = make_items(1)
    api.get(f"{BASE}/next/")

    missing = submit(api, item, scores={"layout": 5})
    out_of_range = submit(api, item, scores={**RENDER_SCORES, "layout": 11})

    for response in (missing, out_of_range):
        assert response.status_code == 400
        assert "scores" in error_of(response)["details"]
    assert not Evaluation.objects.exists()


def test_a_submission_without_a_lease_answers_409(api):
    (item,) = make_items(1)

    response = submit(api, item)

    assert response.status_code == 409
    assert error_of(response)["code"]


def test_an_unknown_item_answers_404(api):
    assert submit(api, ReviewItem(pk=999_999)).status_code == 404
    assert api.post(f"{BASE}/items/999999/skip/").status_code == 404


def test_a_skipped_item_is_never_offered_again_to_the_skipper(api):
    (item,) = make_items(1)
    assert api.get(f"{BASE}/next/").json()["id"] == item.pk

    response = api.post(f"{BASE}/items/{item.pk}/skip/")

    assert response.status_code == 204
    assert api.get(f"{BASE}/next/").status_code == 204
    assert client_for(make_evaluator()).get(f"{BASE}/next/").json()["id"] == item.pk


def test_users_outside_the_evaluators_group_get_403():
    make_items(1)
    outsider = client_for(UserFactory())

    for response in (
        outsider.get(f"{BASE}/next/"),
        outsider.get(f"{BASE}/stats/?step=render"),
    ):
        assert response.status_code == 403
        assert error_of(response)["code"] == "permission_denied"
    assert not Assignment.objects.exists()


def test_anonymous_requests_get_401():
    response = APIClient().get(f"{BASE}/next/")

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_staff_may_review_without_the_group(staff_api):
    (item,) = make_items(1)

    assert staff_api.get(f"{BASE}/next/").json()["id"] == item.pk


def test_stats_of_a_step_carry_calibration_agreement_and_throughput(api, evaluator):
    (item,) = make_items(1)
    api.get(f"{BASE}/next/")
    api.post(
        f"{BASE}/items/{item.pk}/evaluations/",
        {"scores": RENDER_SCORES, "verdict": "accept", "seconds_spent": 45},
        format="json",
    )

    response = api.get(f"{BASE}/stats/?step=render")

    assert response.status_code == 200
    body = response.json()
    assert body["calibration"]["step"] == "render"
    assert body["calibration"]["n"] == 1
    assert "kappa_current" in body["calibration"]
    assert body["agreement"]["step"] == "render"
    assert body["agreement"]["n"] == 0
    (pace,) = body["throughput"]
    assert pace["username"] == evaluator.username
    assert (pace["evaluations"], pace["median_seconds"], pace["items_per_hour"]) == (1, 45, 80)


@pytest.mark.parametrize("query", ["", "?step=nope"])
def test_stats_without_a_known_step_answer_400(api, query):
    response = api.get(f"{BASE}/stats/{query}")

    assert response.status_code == 400
    assert "step" in error_of(response)["details"]


def test_calibration_is_for_staff_only(api):
    response = api.post(f"{BASE}/calibrate/?step=render")

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_staff_calibration_without_enough_samples_changes_nothing(staff_api):
    response = staff_api.post(f"{BASE}/calibrate/?step=render")

    assert response.status_code == 200
    body = response.json()
    assert (body["changed"], body["threshold_change"]) == (False, None)
    assert body["report"]["enough"] is False
    assert not ThresholdChange.objects.exists()


def test_staff_calibration_applies_the_suggested_threshold(staff_api):
    StepPolicy.objects.filter(step="render").update(threshold=8)
    make_judged_runs(CALIBRATION_AUTOS)

    response = staff_api.post(f"{BASE}/calibrate/?step=render")

    assert response.status_code == 200
    body = response.json()
    assert body["changed"] is True
    assert (body["threshold_change"]["old"], body["threshold_change"]["new"]) == (8, 6.5)
    assert body["report"]["current"] == 6.5
    assert ThresholdChange.objects.get().author.is_staff  # the person who asked is on record

"""Evaluations refuse values no column can hold or no person spends: seconds_spent and the
comment are bounded in the API, the service and the database."""

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.errors import InvalidInput
from review.models import Evaluation, ReviewItem
from review.services import evaluation_submit, review_next
from tests.factories import RENDER_SCORES, UserFactory
from tests.factories import make_review_items as make_items

pytestmark = pytest.mark.django_db

BASE = "/api/v1/review"


@pytest.fixture
def evaluator():
    user = UserFactory()
    user.groups.add(Group.objects.get(name="evaluators"))
    return user


@pytest.fixture
def api(evaluator) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=evaluator)[0].key}"
    )
    return client


@pytest.fixture
def leased(api) -> ReviewItem:
    item = make_items(1)[0]
    assert api.get(f"{BASE}/next/").status_code == 200
    return item


def submit(api: APIClient, item: ReviewItem, **body):
    return api.post(
        f"{BASE}/items/{item.pk}/evaluations/",
        {"scores": RENDER_SCORES, "verdict": "accept", **body},
        format="json",
    )


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


@pytest.mark.parametrize("seconds", [2**31, 2**63, 10**30, 86_401, -1])
def test_seconds_spent_out_of_range_is_a_400_naming_it(api, leased, seconds):
    error = error_of(submit(api, leased, seconds_spent=seconds), 400)

    assert error["message"].startswith("seconds_spent: ")
    assert list(error["details"]) == ["seconds_spent"]
    assert not Evaluation.objects.exists()


def test_a_day_of_seconds_is_the_most_an_evaluation_may_take(api, leased):
    response = submit(api, leased, seconds_spent=86_400)

    assert response.status_code == 201
    assert Evaluation.objects.get().seconds_spent == 86_400


def test_a_comment_over_5000_characters_is_refused(api, leased):
    error = error_of(submit(api, leased, comment="好" * 5001), 400)

    assert error["message"].startswith("comment: ")
    assert not Evaluation.objects.exists()


def test_a_comment_of_5000_characters_is_kept(api, leased):
    assert submit(api, leased, comment="好" * 5000).status_code == 201
    assert len(Evaluation.objects.get().comment) == 5000


@pytest.mark.parametrize(
    ("field", "value"), [("comment", 5), ("instruction", ["x"]), ("seconds_spent", "12")]
)
def test_a_value_of_the_wrong_type_is_refused(api, leased, field, value):
    error = error_of(submit(api, leased, **{field: value}), 400)

    assert error["message"].startswith(f"{field}: ")


@pytest.mark.parametrize(("field", "value"), [("seconds_spent", 86_401), ("comment", "x" * 5001)])
def test_the_service_refuses_out_of_range_values_by_name(evaluator, field, value):
    item = make_items(1)[0]
    review_next(evaluator=evaluator)
    with pytest.raises(InvalidInput) as info:
        evaluation_submit(
            item=item,
            evaluator=evaluator,
            scores=RENDER_SCORES,
            verdict="accept",
            **{field: value},
        )

    assert list(info.value.details) == [field]


@pytest.mark.parametrize(("field", "value"), [("seconds_spent", 86_401), ("comment", "x" * 5001)])
def test_the_database_refuses_out_of_range_values(evaluator, field, value):
    run = make_items(1)[0].step_run

    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.create(
            step_run=run, evaluator=evaluator, overall=5, verdict="accept", **{field: value}
        )


def test_an_empty_step_filter_means_any_step_and_keeps_the_lease(api):
    item = make_items(1)[0]

    first = api.get(f"{BASE}/next/", {"step": ""})
    again = api.get(f"{BASE}/next/", {"step": ""})

    assert first.json()["id"] == again.json()["id"] == item.pk

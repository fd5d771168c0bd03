"""Judging on the review site: a submission stored and the next item loaded, a wrong one
answered with the input kept and nothing stored, and items skipped."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generation.models import Batch
from review.models import Assignment, Evaluation, Score
from tests.factories import RENDER_SCORES, make_review_items
from tests.review import review_site
from tests.review.review_site import checked, form_data, lease

pytestmark = pytest.mark.django_db

# The evaluator and their client (tests/review/review_site.py), bound by name for pytest.
evaluator, client = review_site.evaluator, review_site.client


# Submitting


def test_a_valid_submission_stores_the_evaluation_and_loads_the_next_item(client, evaluator):
    first, _second = make_review_items(2)
    url = lease(client, "render")

    response = client.post(url, form_data(comment="tight spacing", seconds="42"))

    assert response.status_code == 302
    assert response["Location"] == "/review/next/?step=render"
    evaluation = Evaluation.objects.get()
    assert (evaluation.step_run, evaluation.evaluator) == (first.step_run, evaluator)
    assert (evaluation.verdict, evaluation.comment, evaluation.seconds_spent) == (
        "accept",
        "tight spacing",
        42,
    )
    assert {s.criterion.key: s.value for s in evaluation.scores.all()} == RENDER_SCORES
    assert client.get(response["Location"])["Location"] != url  # the next item, not this one


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"score_layout": ""}, "score_layout"),
        ({"score_layout": "0"}, "score_layout"),
        ({"score_layout": "11"}, "score_layout"),
        ({"verdict": "regenerate", "instruction": "  "}, "instruction"),
    ],
)
def test_invalid_submissions_answer_400_keep_the_input_and_store_nothing(client, changes, field):
    make_review_items(1)
    drawn_by_an_image_model()
    url = lease(client)

    response = client.post(url, {**form_data(comment="keep me please"), **changes})

    assert response.status_code == 400
    html = response.content.decode()
    assert "keep me please</textarea>" in html
    assert checked(html, "score_relevance", "5")
    assert checked(html, "verdict", changes.get("verdict", "accept"))
    assert response.context["form"].errors[field]
    assert 'class="errorlist' in html
    assert not Evaluation.objects.exists()
    assert not Score.objects.exists()


def test_submitting_an_item_not_leased_to_you_stores_nothing_and_says_why(client):
    (item,) = make_review_items(1)

    response = client.post(f"/review/items/{item.pk}/", form_data(comment="kept"))

    assert response.status_code == 409
    html = response.content.decode()
    assert "this item is not leased to you" in html
    assert "kept</textarea>" in html
    assert not Evaluation.objects.exists()


def test_an_expired_lease_keeps_the_input_and_answers_409(client, evaluator):
    make_review_items(1)
    url = lease(client)
    Assignment.objects.filter(evaluator=evaluator).update(
        leased_until=timezone.now() - timedelta(seconds=1)
    )

    response = client.post(url, form_data(comment="written slowly"))

    assert response.status_code == 409
    assert "written slowly</textarea>" in response.content.decode()
    assert not Evaluation.objects.exists()


def drawn_by_an_image_model() -> None:
    """The pages are drawn by an image model (gemini): regenerate takes free text."""
    for batch in Batch.objects.all():
        Batch.objects.filter(pk=batch.pk).update(options={**batch.options, "provider": "gemini"})


def test_regenerate_stores_the_instruction(client):
    (item,) = make_review_items(1)
    Batch.objects.filter(pk=item.step_run.batch_id).update(status="running")
    drawn_by_an_image_model()

    response = client.post(lease(client), form_data(verdict="regenerate", instruction="更大的标题"))

    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.verdict, evaluation.instruction) == ("regenerate", "更大的标题")


@pytest.mark.parametrize(("sent", "stored"), [("-5", 0), ("999999", 900), ("", 0)])
def test_seconds_spent_is_clamped_to_the_lease(client, settings, sent, stored):
    settings.NANODECK = {**settings.NANODECK, "REVIEW_LEASE_SECONDS": 900}
    make_review_items(1)

    client.post(lease(client), form_data(seconds=sent))

    assert Evaluation.objects.get().seconds_spent == stored


# Skipping


def test_a_skipped_item_is_not_shown_again(client, evaluator):
    first, second = make_review_items(2)
    assert lease(client) == f"/review/items/{first.pk}/"

    response = client.post(f"/review/items/{first.pk}/skip/?step=render")

    assert response["Location"] == "/review/next/?step=render"
    assert Assignment.objects.get(item=first, evaluator=evaluator).state == "skipped"
    assert lease(client, "render") == f"/review/items/{second.pk}/?step=render"
    client.post(f"/review/items/{second.pk}/skip/")
    assert client.get("/review/next/")["Location"] == "/review/"


def test_skip_only_accepts_post(client):
    (item,) = make_review_items(1)

    assert client.get(f"/review/items/{item.pk}/skip/").status_code == 405

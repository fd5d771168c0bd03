"""Assignment: the next item, leases, overlap, skipping, submitting."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from generation.errors import Conflict, InvalidInput
from review.models import Assignment, Criterion, ReviewItem
from review.services import evaluation_submit, review_next, review_skip
from tests.factories import RENDER_SCORES, UserFactory
from tests.factories import make_review_items as make_items

pytestmark = pytest.mark.django_db


def test_held_pages_come_first_then_the_most_uncertain_then_the_oldest():
    far, near, older_far, held = make_items(4, scores=[2.0, 6.8, 2.0, 1.0])
    ReviewItem.objects.filter(pk=held.pk).update(priority=100)
    ReviewItem.objects.filter(pk=older_far.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    evaluator = UserFactory()

    order = []
    for _ in range(4):
        item = review_next(evaluator=evaluator)
        order.append(item.pk)
        review_skip(item=item, evaluator=evaluator)

    assert order == [held.pk, near.pk, older_far.pk, far.pk]


def test_an_item_is_not_leased_beyond_its_overlap():
    (item,) = make_items(1, overlap=2)
    first, second, third = UserFactory(), UserFactory(), UserFactory()

    assert review_next(evaluator=first) == item
    assert review_next(evaluator=second) == item
    assert review_next(evaluator=third) is None


def test_asking_again_returns_the_item_already_leased_to_you():
    make_items(2)
    evaluator = UserFactory()

    assert review_next(evaluator=evaluator) == review_next(evaluator=evaluator)


def test_an_expired_lease_returns_the_item_to_the_queue():
    (item,) = make_items(1)
    first, second = UserFactory(), UserFactory()
    review_next(evaluator=first)
    assert review_next(evaluator=second) is None

    Assignment.objects.update(leased_until=timezone.now() - timedelta(seconds=1))

    assert review_next(evaluator=second) == item


def test_a_skipped_item_goes_to_others_and_never_back_to_the_skipper():
    (item,) = make_items(1)
    skipper, other = UserFactory(), UserFactory()
    review_next(evaluator=skipper)

    review_skip(item=item, evaluator=skipper)

    assert review_next(evaluator=skipper) is None
    assert review_next(evaluator=other) == item


def test_a_submission_stores_every_score_and_the_weighted_overall_and_closes_the_item():
    (item,) = make_items(1)
    Criterion.objects.filter(step="render", key="text_legibility").update(weight=3)
    evaluator = UserFactory()
    review_next(evaluator=evaluator)

    evaluation = evaluation_submit(
        item=item, evaluator=evaluator, scores=RENDER_SCORES, verdict="accept", seconds_spent=42
    )

    assert evaluation.overall == round((3 * 8 + 6 + 7 + 9 + 5) / 7, 2)
    assert {score.criterion.key: score.value for score in evaluation.scores.all()} == RENDER_SCORES
    item.refresh_from_db()
    assert item.status == "done"
    assert review_next(evaluator=UserFactory()) is None


@pytest.mark.parametrize(
    ("scores", "verdict", "instruction", "message"),
    [
        ({k: v for k, v in RENDER_SCORES.items() if k != "layout"}, "accept", "", "missing layout"),
        ({**RENDER_SCORES, "color": 5}, "accept", "", "unknown color"),
        ({**RENDER_SCORES, "layout": 0}, "accept", "", "from 1 to 10: layout"),
        ({**RENDER_SCORES, "layout": 11}, "accept", "", "from 1 to 10: layout"),
        (RENDER_SCORES, "maybe", "", "verdict must be one of"),
        (RENDER_SCORES, "regenerate", "  ", "regenerate needs an instruction"),
    ],
)
def test_a_bad_submission_is_refused_with_the_reason(scores, verdict, instruction, message):
    (item,) = make_items(1)
    evaluator = UserFactory()
    review_next(evaluator=evaluator)

    with pytest.raises(InvalidInput, match=message):
        evaluation_submit(
            item=item, evaluator=evaluator, scores=scores, verdict=verdict, instruction=instruction
        )

    assert not item.step_run.evaluations.exists()


def test_submitting_without_a_lease_is_refused():
    (item,) = make_items(1)

    with pytest.raises(Conflict, match="not leased to you"):
        evaluation_submit(
            item=item, evaluator=UserFactory(), scores=RENDER_SCORES, verdict="accept"
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_lease_an_item_beyond_its_overlap():
    if connection.vendor == "sqlite":
        pytest.skip(
            "the in-memory test SQLite cannot serve concurrent writers; make test runs this on PostgreSQL"
        )
    items = make_items(3, overlap=2)
    evaluators = [UserFactory() for _ in range(8)]
    got, barrier = {}, threading.Barrier(8)

    def ask(evaluator) -> None:
        try:
            barrier.wait()
            item = review_next(evaluator=evaluator)
            got[evaluator.pk] = item.pk if item else None
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(evaluator,)) for evaluator in evaluators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    leased = [pk for pk in got.values() if pk is not None]
    assert len(got) == 8
    assert all(leased.count(item.pk) <= 2 for item in items)
    assert len(leased) == 6  # 3 items x overlap 2; the last two evaluators get nothing

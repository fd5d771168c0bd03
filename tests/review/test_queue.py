"""The review queue fills itself from the engine; the data keeps its ranges and uniqueness."""

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from generation.errors import StepHeld
from generation.models import Page, StepPolicy, StepRun
from generation.pipeline.engine import StepContext, run_step
from review.models import Criterion, Evaluation, ReviewItem, Score, ThresholdChange
from tests.factories import UserFactory, make_batch
from tests.generation.test_engine import ScriptedStep

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx() -> StepContext:
    batch = make_batch()
    page = Page.objects.create(batch=batch, index=1, kind="content", title="Why remote works")
    return StepContext(batch=batch, page=page)


def policy(**fields) -> None:
    StepPolicy.objects.filter(step="describe").update(**fields)


def test_every_attempt_of_a_round_that_never_passed_goes_to_people(
    ctx, django_capture_on_commit_callbacks
):
    policy(threshold=7, max_attempts=3, on_no_pass="continue", review_sample_rate=0)

    with django_capture_on_commit_callbacks(execute=True):
        run_step(ScriptedStep([4.0, 5.0, 6.0]), ctx)

    items = ReviewItem.objects.order_by("step_run__attempt")
    assert [item.step_run.attempt for item in items] == [1, 2, 3]
    assert {item.reason for item in items} == {"below_threshold"}
    assert {item.priority for item in items} == {0}


def test_a_held_page_leads_the_queue(ctx, django_capture_on_commit_callbacks):
    policy(threshold=7, max_attempts=1, on_no_pass="hold")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(StepHeld):
        run_step(ScriptedStep([3.0]), ctx)

    assert ReviewItem.objects.get().priority == 100


def test_passing_attempts_are_sampled_at_the_policys_rate(ctx, django_capture_on_commit_callbacks):
    policy(threshold=7, max_attempts=2, review_sample_rate=1.0)

    with django_capture_on_commit_callbacks(execute=True):
        selected = run_step(ScriptedStep([5.0, 9.0]), ctx)

    item = ReviewItem.objects.get()
    assert (item.step_run, item.reason) == (selected, "sampled")


def test_with_a_zero_sample_rate_passing_rounds_stay_out_of_the_queue(
    ctx, django_capture_on_commit_callbacks
):
    policy(threshold=7, review_sample_rate=0)

    with django_capture_on_commit_callbacks(execute=True):
        run_step(ScriptedStep([9.0]), ctx)

    assert not ReviewItem.objects.exists()


def test_the_defaults_give_each_reviewed_step_its_criteria_and_create_the_groups():
    keys = {
        step: set(Criterion.objects.filter(step=step).values_list("key", flat=True))
        for step in ("plan", "describe", "render")
    }

    assert keys["plan"] == {"accuracy", "completeness", "structure"}
    assert keys["describe"] == {"clarity", "faithfulness", "layout_fitness"}
    assert keys["render"] == {
        "text_legibility",
        "layout",
        "template_consistency",
        "artifact_absence",
        "relevance",
    }
    evaluators = Group.objects.get(name="evaluators").permissions
    assert set(evaluators.values_list("codename", flat=True)) == {
        "view_reviewitem",
        "view_criterion",
    }  # blind: no evaluations of others, and evaluations are made on the review site
    assert (
        Group.objects.get(name="content staff")
        .permissions.filter(codename="change_slidetemplate")
        .exists()
    )


@pytest.fixture
def evaluation(ctx):
    run = run_step(ScriptedStep([9.0]), ctx)
    return Evaluation.objects.create(
        step_run=run, evaluator=UserFactory(), overall=8, verdict="accept"
    )


@pytest.mark.parametrize("value", [0, 11])
def test_a_score_outside_1_to_10_is_refused_by_the_database(evaluation, value):
    criterion = Criterion.objects.filter(step="describe").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(evaluation=evaluation, criterion=criterion, value=value)


def test_an_evaluator_judges_a_step_run_once(evaluation):
    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.create(
            step_run=evaluation.step_run,
            evaluator=evaluation.evaluator,
            overall=5,
            verdict="reject",
        )


def test_a_retired_criterion_frees_its_key_for_a_new_one():
    old = Criterion.objects.get(step="render", key="layout")
    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.create(step="render", key="layout", label="Layout", description="again")

    old.active = False
    old.save()
    Criterion.objects.create(step="render", key="layout", label="Layout v2", description="stricter")

    assert Criterion.objects.filter(step="render", key="layout").count() == 2


def test_a_threshold_change_outside_0_to_10_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        ThresholdChange.objects.create(step="render", old=7, new=11, reason="manual")
    assert StepRun.objects.count() == 0


def test_the_review_admin_lists_render(admin_client):
    for path in ("criterion", "reviewitem", "evaluation", "thresholdchange"):
        assert admin_client.get(f"/admin/review/{path}/").status_code == 200

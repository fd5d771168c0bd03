"""What a verdict does to the page behind it: a held page goes on, fails or is regenerated
from the reviewed step; a regenerated attempt links back to the evaluation that asked for it."""

import pytest
from django.core.exceptions import ValidationError

from generation.errors import Conflict, InvalidInput, StepHeld
from generation.models import Page, PageStatus, StepPolicy, StepRun
from generation.pipeline.engine import StepContext, run_step
from generation.services.batches import batch_plan, batch_run
from generation.services.page_actions import page_flag
from generation.services.pages import page_run
from review.models import Criterion, Evaluation, ReviewItem, Score
from review.receivers import HELD_PRIORITY
from review.services import criterion_retire, evaluation_submit, review_next, review_skip
from tests.factories import RENDER_SCORES, UserFactory, make_batch
from tests.generation.test_engine import ScriptedStep

pytestmark = pytest.mark.django_db

DESCRIBE_SCORES = {"clarity": 8, "faithfulness": 7, "layout_fitness": 6}


@pytest.fixture
def held_page(django_capture_on_commit_callbacks) -> Page:
    """A planned deck's first page whose describe round never passed (scores 4 and 5 under a
    threshold of 7) with the policy "hold": what page_run leaves behind when StepHeld rises."""
    batch = batch_plan(batch=make_batch())
    page = batch.pages.order_by("index").first()
    StepPolicy.objects.filter(step="describe").update(
        threshold=7, max_attempts=2, on_no_pass="hold"
    )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(StepHeld):
        run_step(ScriptedStep([4.0, 5.0]), StepContext(batch=batch, page=page))
    Page.objects.filter(pk=page.pk).update(status=PageStatus.HELD, resume_step="describe")
    page.refresh_from_db()
    return page


def held_items(page: Page) -> list[ReviewItem]:
    return list(
        ReviewItem.objects.filter(step_run__page=page, step="describe").order_by(
            "step_run__attempt"
        )
    )


def judge(item: ReviewItem, verdict: str, **fields) -> Evaluation:
    evaluator = UserFactory()
    for _ in range(5):  # skip more urgent items until this one comes up
        offered = review_next(evaluator=evaluator, step=item.step)
        if offered == item:
            break
        review_skip(item=offered, evaluator=evaluator)
    else:
        pytest.fail(f"{item} was never offered")
    scores = RENDER_SCORES if item.step == "render" else DESCRIBE_SCORES
    return evaluation_submit(
        item=item, evaluator=evaluator, scores=scores, verdict=verdict, **fields
    )


def test_every_attempt_of_a_held_round_leads_the_queue(held_page):
    items = held_items(held_page)
    assert [item.step_run.attempt for item in items] == [1, 2]
    assert {item.priority for item in items} == {HELD_PRIORITY}
    assert [item.step_run.selected for item in items] == [False, True]


def test_accepting_a_held_attempt_lets_the_page_finish_with_that_output(
    held_page, django_capture_on_commit_callbacks
):
    page = held_page
    chosen = held_items(page)[0]  # not the engine's choice: people may prefer another attempt

    with django_capture_on_commit_callbacks(execute=False) as queued:
        judge(chosen, "accept")

    page.refresh_from_db()
    assert (page.status, page.resume_step) == (PageStatus.PENDING, "render")
    assert len(queued) == 1  # the page went back to the workers
    assert page.description == chosen.step_run.output_text
    assert StepRun.objects.get(page=page, step="describe", selected=True) == chosen.step_run
    assert {item.priority for item in held_items(page)} == {0}  # no longer urgent

    page_run(page=page)

    page.refresh_from_db()
    assert page.status == PageStatus.COMPLETED
    assert page.image


def test_rejecting_every_held_attempt_fails_the_page_with_the_evaluators_reasons(held_page):
    page = held_page
    first, second = held_items(page)

    judge(first, "reject", comment="bullets repeat the title")
    page.refresh_from_db()
    assert page.status == PageStatus.HELD  # one attempt is still unjudged

    judge(second, "reject", comment="misses the numbers")

    page.refresh_from_db()
    assert page.status == PageStatus.FAILED
    assert "rejected in review at describe" in page.error
    assert "bullets repeat the title" in page.error
    assert "misses the numbers" in page.error


def test_regenerate_reruns_the_page_with_the_edits_and_links_the_new_attempt(
    held_page, django_capture_on_commit_callbacks
):
    page = held_page
    StepPolicy.objects.filter(step="describe").update(on_no_pass="continue")
    item = held_items(page)[0]
    edits = {"title": "三个数字 / three numbers", "text_scale": 1.1}

    evaluation = judge(item, "regenerate", edits=edits)
    page.refresh_from_db()
    assert (page.status, page.resume_step) == (PageStatus.PENDING, "describe")
    assert page.plan["title"] == "三个数字 / three numbers"
    assert page.regeneration == {"edits": edits, "requested_by": evaluation.source}

    with django_capture_on_commit_callbacks(execute=True):
        page_run(page=page)

    # The edits are drawn by the render step: its attempts link back to the evaluation.
    follow_ups = list(evaluation.follow_up_runs())
    assert {run.step for run in follow_ups} == {"render"}
    assert follow_ups[0].params["edits"] == edits
    assert follow_ups[0].params["font_scale"] == 1.1
    page.refresh_from_db()
    assert page.status == PageStatus.COMPLETED
    assert page.regeneration == {}
    # The evaluator who asked sees what came of it: the re-run is queued for review.
    requested = ReviewItem.objects.get(step_run=follow_ups[-1])
    assert requested.reason == "requested"
    assert not StepRun.objects.filter(page=page, step="finish", requested_by__gt="").exists()


def test_an_instruction_for_a_local_page_is_refused_and_nothing_is_stored(held_page):
    item = held_items(held_page)[0]

    with pytest.raises(InvalidInput, match="cannot follow free text") as refused:
        judge(item, "regenerate", instruction="name the three numbers")

    assert list(refused.value.details) == ["instruction"]
    assert not Evaluation.objects.exists()
    held_page.refresh_from_db()
    assert (held_page.status, held_page.regeneration) == (PageStatus.HELD, {})


def test_a_batch_level_output_cannot_be_regenerated_from_review(settings):
    batch = make_batch()
    run = StepRun.objects.create(
        batch=batch, step="plan", attempt=1, threshold=7, score=5, started_at=batch.created_at
    )
    item = ReviewItem.objects.create(step_run=run, step="plan", reason="below_threshold")
    evaluator = UserFactory()
    assert review_next(evaluator=evaluator) == item

    with pytest.raises(InvalidInput, match="reject it"):
        evaluation_submit(
            item=item,
            evaluator=evaluator,
            scores={"accuracy": 5, "completeness": 5, "structure": 5},
            verdict="regenerate",
            instruction="more pages",
        )

    assert not Evaluation.objects.exists()


def test_outputs_sent_to_review_want_the_policys_overlap(django_capture_on_commit_callbacks):
    StepPolicy.objects.filter(step="render").update(review_sample_rate=1.0, review_overlap=3)

    with django_capture_on_commit_callbacks(execute=True):
        batch_run(batch=make_batch())

    wanted = set(
        ReviewItem.objects.filter(step="render").values_list("evaluations_wanted", flat=True)
    )
    assert wanted == {3}


def test_flagging_a_page_queues_its_image_for_review_and_reopens_a_reviewed_one(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_run(batch=make_batch())
    page = batch.pages.order_by("index").first()
    render = StepRun.objects.get(page=page, step="render", selected=True)

    with django_capture_on_commit_callbacks(execute=True):
        assert page_flag(page=page, reason="标题有错别字 typo in the title") == render

    item = ReviewItem.objects.get(step_run=render)
    assert (item.reason, item.note, item.evaluations_wanted) == (
        "flagged",
        "标题有错别字 typo in the title",
        1,
    )
    page.refresh_from_db()
    assert (page.flagged, page.flag_reason) == (True, "标题有错别字 typo in the title")

    judge(item, "accept")
    item.refresh_from_db()
    assert item.status == "done"
    with django_capture_on_commit_callbacks(execute=True):
        page_flag(page=page, reason="the chart is upside down")

    item.refresh_from_db()
    assert (item.status, item.evaluations_wanted, item.note) == (
        "open",
        2,
        "the chart is upside down",
    )


def test_a_flag_needs_a_reason_a_reviewable_step_and_an_output():
    page = Page.objects.create(batch=make_batch(), index=1, kind="content", title="Empty")

    with pytest.raises(InvalidInput, match="needs a reason"):
        page_flag(page=page, reason="   ")
    with pytest.raises(InvalidInput, match="step must be one of describe, render"):
        page_flag(page=page, reason="bad", step="finish")
    with pytest.raises(Conflict, match="no render output yet"):
        page_flag(page=page, reason="bad")

    page.refresh_from_db()
    assert not page.flagged
    assert not ReviewItem.objects.exists()


def test_a_used_criterion_cannot_change_but_can_be_retired_and_replaced():
    item = ReviewItem.objects.create(
        step_run=StepRun.objects.create(
            batch=make_batch(),
            step="plan",
            attempt=1,
            threshold=7,
            score=5,
            started_at="2026-01-01T00:00Z",
        ),
        step="plan",
        reason="sampled",
    )
    evaluator = UserFactory()
    review_next(evaluator=evaluator)
    evaluation_submit(
        item=item,
        evaluator=evaluator,
        scores={"accuracy": 5, "completeness": 6, "structure": 7},
        verdict="accept",
    )
    used = Criterion.objects.get(step="plan", key="accuracy", active=True)

    used.description = "a new wording"
    with pytest.raises(ValidationError, match="retire it and add a new one"):
        used.save()

    copy = criterion_retire(criterion=Criterion.objects.get(pk=used.pk))

    used.refresh_from_db()
    assert used.active is False
    assert used.description != "a new wording"
    assert Score.objects.filter(criterion=used).count() == 1  # old scores keep their criterion
    assert (copy.key, copy.active) == ("accuracy", True)
    copy.description = "a new wording"
    copy.save()  # not used yet: editable
    with pytest.raises(Conflict, match="retired already"):
        criterion_retire(criterion=used)

"""The engine's contract: every attempt recorded, weak ones retried with adjusted params,
the best selected, and the policy's "no attempt passed" rule applied."""

import pytest

from generation.errors import StepFailed, StepHeld
from generation.models import Page, StepPolicy, StepRun
from generation.pipeline.engine import Assessment, StepContext, StepOutput, run_step
from generation.providers.base import ErrorKind, ProviderError
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


class ScriptedStep:
    """A step whose scores follow a script, so that the engine is what is under test."""

    name = "describe"

    def __init__(self, scores: list[float], error: ProviderError | None = None) -> None:
        self.scores = scores
        self.error = error
        self.calls: list[dict] = []
        self.committed: StepRun | None = None

    def default_params(self, ctx: StepContext) -> dict:
        return {"detail": 1}

    def input_digest(self, ctx: StepContext, params: dict) -> str:
        return f"digest-{params['detail']}"

    def run(self, ctx: StepContext, params: dict) -> StepOutput:
        self.calls.append(dict(params))
        if self.error:
            raise self.error
        return StepOutput(text=f"output {len(self.calls)}", provider="scripted")

    def assess(self, ctx: StepContext, output: StepOutput) -> Assessment:
        score = self.scores[len(self.calls) - 1]
        return Assessment(score=score, metrics={"n": len(self.calls)}, hints=["too_short"])

    def adjust(self, params: dict, assessment: Assessment, attempt: int) -> dict:
        return {**params, "detail": params["detail"] + 1}

    def commit(self, ctx: StepContext, run: StepRun) -> None:
        self.committed = run


@pytest.fixture
def ctx() -> StepContext:
    batch = make_batch()
    page = Page.objects.create(batch=batch, index=1, kind="content", title="Why remote works")
    return StepContext(batch=batch, page=page)


def set_policy(**fields) -> None:
    StepPolicy.objects.filter(step="describe").update(**fields)


def test_low_twice_then_pass_records_three_attempts_and_selects_the_passing_one(ctx):
    set_policy(threshold=7, max_attempts=3)
    step = ScriptedStep([4.0, 6.0, 8.0])

    selected = run_step(step, ctx)

    runs = list(StepRun.objects.filter(page=ctx.page).order_by("attempt"))
    assert [run.attempt for run in runs] == [1, 2, 3]
    assert [run.score for run in runs] == [4.0, 6.0, 8.0]
    assert [run.passed for run in runs] == [False, False, True]
    assert [run.selected for run in runs] == [False, False, True]
    assert selected.pk == runs[2].pk == step.committed.pk
    assert [run.params["detail"] for run in runs] == [1, 2, 3]
    assert runs[1].adjustments == {
        "after_attempt": 1,
        "previous_score": 4.0,
        "reasons": ["too_short"],
        "changes": {"detail": [1, 2]},
    }
    assert all(run.threshold == 7 for run in runs)


def test_a_passing_first_attempt_is_not_retried(ctx):
    step = ScriptedStep([9.0, 9.5])

    run_step(step, ctx)

    assert StepRun.objects.filter(page=ctx.page).count() == 1
    assert len(step.calls) == 1


def test_no_pass_with_continue_keeps_the_best_and_flags_the_page(ctx):
    set_policy(threshold=7, max_attempts=3, on_no_pass="continue")
    step = ScriptedStep([6.5, 5.0, 6.0])

    selected = run_step(step, ctx)

    assert selected.attempt == 1
    assert step.committed.pk == selected.pk
    ctx.page.refresh_from_db()
    assert ctx.page.flagged
    assert "6.5 < threshold 7" in ctx.page.flag_reason


def test_no_pass_with_hold_keeps_the_best_and_holds(ctx):
    set_policy(threshold=7, max_attempts=2, on_no_pass="hold")
    step = ScriptedStep([3.0, 5.5])

    with pytest.raises(StepHeld, match=r"5\.5 < threshold 7"):
        run_step(step, ctx)

    assert step.committed.attempt == 2
    assert StepRun.objects.get(page=ctx.page, selected=True).attempt == 2


def test_no_pass_with_fail_raises_and_commits_nothing(ctx):
    set_policy(threshold=7, max_attempts=2, on_no_pass="fail")
    step = ScriptedStep([3.0, 2.0])

    with pytest.raises(StepFailed, match="best of 1 attempts scored 3"):
        run_step(step, ctx)

    assert step.committed is None
    assert StepRun.objects.filter(page=ctx.page).count() == 2


def test_a_provider_error_is_recorded_and_fails_the_step_without_retrying(ctx):
    error = ProviderError(ErrorKind.CONTENT_BLOCKED, "the model refused: IMAGE_SAFETY")
    step = ScriptedStep([9.0], error=error)

    with pytest.raises(StepFailed, match="IMAGE_SAFETY"):
        run_step(step, ctx)

    run = StepRun.objects.get(page=ctx.page)
    assert (run.error_kind, run.score, run.selected) == ("content_blocked", None, False)
    assert len(step.calls) == 1


def test_running_a_step_again_continues_the_attempt_numbers_and_reselects(ctx):
    set_policy(threshold=7, max_attempts=3)
    run_step(ScriptedStep([8.0]), ctx)

    again = run_step(ScriptedStep([9.0]), ctx)

    assert again.attempt == 2
    assert list(StepRun.objects.filter(page=ctx.page, selected=True)) == [again]


def test_an_instruction_reaches_the_params_and_is_stored(ctx):
    ctx.instruction = "make the title shorter"
    step = ScriptedStep([9.0])

    run = run_step(step, ctx)

    assert step.calls[0]["instruction"] == "make the title shorter"
    assert run.params["instruction"] == "make the title shorter"


def test_a_new_threshold_applies_from_the_next_attempt(ctx):
    set_policy(threshold=9.5, max_attempts=1)
    first = run_step(ScriptedStep([9.0]), ctx)
    set_policy(threshold=8.5)

    second = run_step(ScriptedStep([9.0]), ctx)

    assert (first.threshold, first.passed) == (9.5, False)
    assert (second.threshold, second.passed) == (8.5, True)

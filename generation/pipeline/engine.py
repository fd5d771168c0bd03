"""The step engine (DESIGN §4): record every attempt, judge it, retry with adjusted params, select.

Steps only compute; the engine owns StepRuns, policies and the "no attempt passed" rule.
Every attempt is committed before the next provider call, so a killed worker loses at most
the attempt in flight.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from PIL import Image

from generation.errors import AttemptPending, LeaseLost, StepFailed, StepHeld
from generation.images import open_rgb
from generation.models import NoPassRule, StepPolicy, StepRun
from generation.pipeline.attempt_records import save_attempt, store_output
from generation.pipeline.review_requests import ask_for_review
from generation.policies import POLICY_DEFAULTS
from generation.providers.base import ProviderError, ProviderPending

if TYPE_CHECKING:
    from generation.models import Batch, Page
    from generation.slides import Theme

logger = logging.getLogger("nanodeck.engine")


@dataclass
class StepOutput:
    text: str = ""
    data: dict = field(default_factory=dict)
    image: Image.Image | None = None
    # `image` as a PNG already (the provider's own answer, a stored render served again):
    # stored as it is instead of encoded again.
    image_png: bytes | None = None
    provider: str = ""
    model: str = ""
    cache_hit: bool = False
    cost_usd: float = 0.0  # a hedged duplicate's price included
    call_ms: int | None = None  # the provider call's own time to the answer used
    hedge_after_ms: int | None = None  # hedging on: when a duplicate call was due
    hedged: bool = False  # a duplicate call was sent
    hedge_won: bool = False  # the duplicate answered first
    hedge_cost_usd: float = 0.0


@dataclass
class Assessment:
    score: float  # 0-10
    metrics: dict = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)


@dataclass
class StepContext:
    batch: Batch
    page: Page | None = None
    theme: Theme | None = None
    instruction: str = ""
    # Who asked for the instruction (e.g. "evaluation:42"); recorded on the attempts it shapes.
    requested_by: str = ""
    worker: str = "inline"
    # Images this process produced, by StepRun id, so a later step need not decode them again.
    images: dict[int, Image.Image] = field(default_factory=dict)
    # The outputs this run selected, by step, so a later step need not read them again.
    selected: dict[str, StepRun] = field(default_factory=dict)
    # Called before every attempt and while waiting for a provider: renews the worker's lease
    # and raises when the lease was lost or the batch was cancelled.
    checkpoint: Callable[[], None] = field(default=lambda: None)
    # Called in the transaction that selects a step's output when the run goes on after it
    # (the step passed, or its policy continues), with the page fields the step's commit set
    # (save_page): a page moves to its next step in the same commit and the same UPDATE, so
    # a crash never leaves a selected step to be run again, and a worker that lost its lease
    # (LeaseLost here) selects nothing. None: the fields are saved, and nothing advances.
    advance: Callable[[list[str]], None] | None = None
    # Read once when a page's run begins (page_run): its steps' policies, and every attempt
    # of its steps by step, which run_step takes (once a step) instead of reading them again.
    policies: dict[str, StepPolicy] = field(default_factory=dict)
    attempts: dict[str, list[StepRun]] = field(default_factory=dict)
    # While a selection's commit that advances the page is open: the fields to write with it.
    page_fields: list[str] | None = None

    def save_page(self, fields: list[str]) -> None:
        """Write page `fields` a step's commit set: at once, or with the page's advance."""
        if self.page_fields is None:
            self.page.save(update_fields=fields)
        else:
            self.page_fields.extend(fields)


class Step(Protocol):
    name: str

    def default_params(self, ctx: StepContext) -> dict: ...

    def input_digest(self, ctx: StepContext, params: dict) -> str: ...

    def run(self, ctx: StepContext, params: dict) -> StepOutput: ...

    def assess(self, ctx: StepContext, output: StepOutput) -> Assessment: ...

    def adjust(self, params: dict, assessment: Assessment, attempt: int) -> dict: ...

    def commit(self, ctx: StepContext, run: StepRun) -> None: ...


def digest(value: object) -> str:
    payload = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def step_policy(step: str) -> StepPolicy:
    policy, _ = StepPolicy.objects.get_or_create(step=step, defaults=POLICY_DEFAULTS[step])
    return policy


def step_policies(steps: list[str]) -> dict[str, StepPolicy]:
    """The policies of `steps` in one query (made on first use, as step_policy does)."""
    found = {policy.step: policy for policy in StepPolicy.objects.filter(step__in=steps)}
    return {step: found.get(step) or step_policy(step) for step in steps}


def run_step(step: Step, ctx: StepContext, *, params: dict | None = None) -> StepRun:
    """Run attempts of `step` until one passes or the policy's attempts are spent.

    A round of attempts survives the process: a worker that resumes a page continues the open
    round (attempts made before a crash count, an asynchronous attempt's answer is assessed
    here) instead of starting over. Returns the selected StepRun (the best successful attempt).
    Raises StepFailed when no attempt produced an output, or when none passed and the policy
    says fail; StepHeld when none passed and the policy says hold; AttemptPending while an
    asynchronous provider has not answered.
    """
    policy = ctx.policies.get(step.name) or step_policy(step.name)
    # Every attempt of the step, closed rounds included: the next attempt's number comes after them.
    earlier = ctx.attempts.pop(step.name, None)
    if earlier is None:
        earlier = list(StepRun.objects.filter(step=step.name, **_scope(ctx)).order_by("attempt"))
    runs = [run for run in earlier if not run.round_closed]
    adjustments: dict = {}
    if runs:
        last = runs[-1]
        if last.external_state == "pending":
            raise AttemptPending(last.provider, last.external_id)
        assessment = _resume(step, ctx, last)
        params = last.params
        if last.passed or last.error_kind or len(runs) >= policy.max_attempts:
            return _select(step, ctx, runs, policy, first=_none_selected(earlier))
        new_params = step.adjust(params, assessment, last.attempt)
        adjustments, params = _changes(last, params, new_params, assessment), new_params
    else:
        params = {**step.default_params(ctx), **(params or {})}
        if ctx.instruction:
            params["instruction"] = ctx.instruction
    attempt = (earlier[-1].attempt if earlier else 0) + 1
    image = None
    while len(runs) < policy.max_attempts:
        ctx.checkpoint()
        run, assessment, image = _attempt(step, ctx, params, attempt, policy.threshold, adjustments)
        runs.append(run)
        attempt += 1
        if run.passed or run.error_kind:
            break
        if len(runs) < policy.max_attempts:
            new_params = step.adjust(params, assessment, run.attempt)
            adjustments, params = _changes(run, params, new_params, assessment), new_params
    return _select(step, ctx, runs, policy, first=_none_selected(earlier), image=image)


def _none_selected(earlier: list[StepRun]) -> bool:
    return not any(run.selected for run in earlier)


def _scope(ctx: StepContext) -> dict:
    return {"page": ctx.page} if ctx.page else {"batch": ctx.batch, "page__isnull": True}


def _resume(step: Step, ctx: StepContext, run: StepRun) -> Assessment:
    """The assessment of an attempt made earlier; an asynchronous answer is assessed now."""
    if run.external_state == "succeeded":
        image = open_rgb(run.output_image)
        output = StepOutput(
            image=image, data=run.output_data, provider=run.provider, model=run.model
        )
        assessment = step.assess(ctx, output)
        _score(run, assessment, run.threshold)
        ctx.images[run.pk] = image
    if run.external_state in ("succeeded", "failed"):
        run.external_state = "done"
        run.save()
    return Assessment(score=run.score or 0.0, metrics=run.metrics, hints=run.hints)


def _attempt(
    step: Step, ctx: StepContext, params: dict, attempt: int, threshold: float, adjustments: dict
) -> tuple[StepRun, Assessment | None, Image.Image | None]:
    """One attempt, recorded at once unless it passed: a passing attempt is recorded with its
    selection and the page's advance (`_select`), in one commit, before any other call."""
    run = StepRun(
        batch=ctx.batch,
        page=ctx.page,
        step=step.name,
        attempt=attempt,
        params=params,
        adjustments=adjustments,
        input_digest=step.input_digest(ctx, params),
        threshold=threshold,
        requested_by=ctx.requested_by if params.get("instruction") or params.get("edits") else "",
        started_at=timezone.now(),
    )
    started = time.monotonic()
    assessment = None
    try:
        output = step.run(ctx, params)
    except ProviderPending as pending:
        run.provider, run.model = pending.provider, pending.model
        run.external_id, run.external_state = pending.task_id, "pending"
        save_attempt(run)
        raise AttemptPending(pending.provider, pending.task_id) from None
    except ProviderError as exc:
        run.error_kind, run.error_message = exc.kind.value, exc.message
    else:
        assessment = step.assess(ctx, output)
        _fill(run, output, assessment, threshold)
    run.latency_ms = round((time.monotonic() - started) * 1000)
    run.finished_at = timezone.now()
    image = output.image if assessment is not None else None
    if not run.passed:
        save_attempt(run)
        if image is not None:
            ctx.images[run.pk] = image
    logger.info(
        "step_attempt batch=%s page=%s step=%s attempt=%s score=%s passed=%s latency_ms=%s error=%s",
        ctx.batch.pk,
        ctx.page.index if ctx.page else "-",
        step.name,
        attempt,
        run.score,
        run.passed,
        run.latency_ms,
        run.error_kind or "-",
    )
    return run, assessment, image


def _fill(run: StepRun, output: StepOutput, assessment: Assessment, threshold: float) -> None:
    store_output(run, output)
    _score(run, assessment, threshold)


def _score(run: StepRun, assessment: Assessment, threshold: float) -> None:
    run.score = round(max(0.0, min(10.0, assessment.score)), 2)
    run.metrics, run.hints = assessment.metrics, assessment.hints
    run.passed = run.score >= threshold


def _changes(run: StepRun, old: dict, new: dict, assessment: Assessment) -> dict:
    changed = {key: [old.get(key), value] for key, value in new.items() if old.get(key) != value}
    return {
        "after_attempt": run.attempt,
        "previous_score": run.score,
        "reasons": assessment.hints,
        "changes": changed,
    }


def output_select(
    step: Step,
    ctx: StepContext,
    run: StepRun,
    *,
    apply: bool = True,
    first: bool = False,
    close: list[int] | None = None,
    inserted: bool = False,
) -> None:
    """Make `run` the one selected output of its step (for the page, or the batch) and apply
    it to the page or batch (`step.commit`) in the same transaction; a failing step selects
    its best attempt without applying it. `first`: the caller has read every attempt of the
    page's step and none was selected, so there is nothing to unselect (a selection made
    meanwhile by another worker fails the one-selected constraint: IntegrityError).
    `close`: the ids of the round's attempts (`run` among them), closed in the same UPDATE.
    `inserted` (with `first`): `run` was inserted selected and closed in this transaction."""
    # Within a caller's transaction, no savepoint: a failure here fails the caller's block too.
    with transaction.atomic(savepoint=False):
        if not (first and ctx.page is not None):
            unselect = StepRun.objects.filter(step=step.name, selected=True, **_scope(ctx))
            unselect.update(selected=False)
        closing = {"round_closed": True} if close else {}
        rows = {run.pk, *(close or ())} - ({run.pk} if inserted else set())
        if rows:  # nothing left to write when `run` was inserted as the round's only attempt
            StepRun.objects.filter(pk__in=rows).update(
                selected=Case(When(pk=run.pk, then=Value(True)), default=F("selected")), **closing
            )
        run.selected = True
        if apply:
            step.commit(ctx, run)
    ctx.selected[step.name] = run


def _select(
    step: Step,
    ctx: StepContext,
    runs: list[StepRun],
    policy: StepPolicy,
    *,
    first: bool,
    image: Image.Image | None = None,
) -> StepRun:
    """Select the round's best attempt. The passing attempt not recorded yet (`_attempt`) is
    recorded here, in the selection's commit; `image` is its image."""
    usable = [run for run in runs if not run.error_kind]
    if not usable:  # every attempt failed: each was recorded as it failed
        StepRun.objects.filter(pk__in=[run.pk for run in runs]).update(round_closed=True)
        last = runs[-1]
        raise StepFailed(
            f"{step.name} failed: {last.error_message}", details={"kind": last.error_kind}
        )
    best = max(usable, key=lambda run: (run.score, -run.attempt))
    reason = ""
    if not best.passed:
        reason = (
            f"{step.name}: best of {best.attempt} attempts scored {best.score:g} "
            f"< threshold {policy.threshold:g} ({', '.join(best.hints) or 'no hint'})"
        )
    unsaved = [run for run in runs if run.pk is None]
    _commit_selection(step, ctx, runs, best, policy, reason=reason, first=first, unsaved=unsaved)
    if unsaved and image is not None:
        ctx.images[unsaved[-1].pk] = image
    ask_for_review(usable, best, policy, held=bool(reason) and policy.on_no_pass == NoPassRule.HOLD)
    if reason and policy.on_no_pass == NoPassRule.FAIL:
        raise StepFailed(reason)
    if reason and policy.on_no_pass == NoPassRule.HOLD:
        raise StepHeld(reason)
    return best


def _commit_selection(
    step: Step,
    ctx: StepContext,
    runs: list[StepRun],
    best: StepRun,
    policy: StepPolicy,
    *,
    reason: str,
    first: bool,
    unsaved: list[StepRun],
) -> None:
    """One commit: the passing attempt not recorded yet, the page's flag, the selection (and
    the round's close), and the page's advance to its next step when the run goes on."""
    goes_on = not reason or policy.on_no_pass == NoPassRule.CONTINUE
    # The first selection of a page's step inserts its best attempt selected and closed.
    inserted = first and ctx.page is not None and best.pk is None
    try:
        with transaction.atomic():
            for run in unsaved:  # its number taken: another worker's now (IntegrityError)
                run.selected = run.round_closed = inserted and run is best
                run.save()
            ctx.page_fields = [] if goes_on and ctx.advance else None
            if reason and goes_on and ctx.page is not None:
                ctx.page.flagged = True
                ctx.page.flag_reason = reason[:300]
                ctx.save_page(["flagged", "flag_reason"])
            apply = not reason or policy.on_no_pass != NoPassRule.FAIL
            close = [run.pk for run in runs]  # the round is closed with the selection
            output_select(step, ctx, best, apply=apply, first=first, close=close, inserted=inserted)
            if ctx.page_fields is not None:
                ctx.advance(ctx.page_fields)  # the page's own fields with its advance: one UPDATE
    except IntegrityError:  # another worker recorded or selected this step's output first
        raise LeaseLost(
            f"{step.name} of page {ctx.page.pk if ctx.page else '-'} was selected by another worker"
        ) from None
    except LeaseLost:  # the page is another worker's: it selects the attempt made, not a new one
        for run in unsaved:
            run.pk, run.selected, run.round_closed = None, False, False  # rolled back
            run._state.adding = True
            save_attempt(run)
        raise
    finally:
        ctx.page_fields = None

"""The review queue: leasing the next item to an evaluator, skipping, submitting an evaluation."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Abs
from django.utils import timezone

from generation.errors import Conflict, InvalidInput
from generation.models import PageStatus, StepRun
from generation.services.page_actions import page_regenerate, page_reject, page_release
from generation.services.regeneration import LOCAL_EDITS, renders_locally
from review.models import (
    MAX_COMMENT_CHARS,
    MAX_INSTRUCTION_CHARS,
    MAX_SECONDS_SPENT,
    Assignment,
    Criterion,
    Evaluation,
    ReviewItem,
    Score,
    Verdict,
)
from review.receivers import HELD_PRIORITY

CANDIDATES = 20  # items tried per request when others hold the first ones
LOCKED_RETRIES = 20  # rounds to wait (50 ms each) while other requests hold every candidate row


def _lease_until():
    return timezone.now() + timedelta(seconds=settings.NANODECK["REVIEW_LEASE_SECONDS"])


def review_next(*, evaluator, step: str | None = None) -> ReviewItem | None:
    """Lease the evaluator the most urgent open item they have not judged or skipped.

    Order: held pages first (priority), then auto scores closest to their threshold
    (uncertainty), then age. An item is never leased beyond its overlap (evaluations wanted,
    counting live leases and submissions), even under concurrent requests: candidate rows are
    locked with SELECT … FOR UPDATE SKIP LOCKED (SQLite's IMMEDIATE transactions serialise).
    An evaluator who asks again while holding a live lease gets the same item back.
    """
    now = timezone.now()
    held = (
        Assignment.objects.filter(
            evaluator=evaluator, state="leased", leased_until__gt=now, item__status="open"
        )
        .select_related("item")
        .first()
    )
    if held is not None and (step is None or held.item.step == step):
        Assignment.objects.filter(pk=held.pk).update(leased_until=_lease_until())
        return held.item
    for _ in range(LOCKED_RETRIES):
        locked = False
        for item_id in _candidates(evaluator, step, timezone.now()):
            item, busy = _lease(item_id, evaluator)
            if item is not None:
                return item
            locked = locked or busy
        if not locked:  # nothing left for this evaluator, not just rows others hold right now
            return None
        time.sleep(0.05)
    return None


def _taken(now) -> Count:
    return Count(
        "assignments",
        filter=Q(assignments__state="submitted")
        | Q(assignments__state="leased", assignments__leased_until__gt=now),
    )


def _candidates(evaluator, step: str | None, now) -> list[int]:
    items = ReviewItem.objects.filter(status="open").exclude(
        assignments__evaluator=evaluator, assignments__state__in=["submitted", "skipped"]
    )
    if step:
        items = items.filter(step=step)
    items = items.annotate(
        taken=_taken(now), uncertainty=Abs(F("step_run__score") - F("step_run__threshold"))
    )
    items = items.filter(taken__lt=F("evaluations_wanted"))
    ordered = items.order_by("-priority", F("uncertainty").asc(nulls_last=True), "created_at", "id")
    return list(ordered.values_list("id", flat=True)[:CANDIDATES])


@transaction.atomic
def _lease(item_id: int, evaluator) -> tuple[ReviewItem | None, bool]:
    """(the item now leased to the evaluator or None, whether another request held the row)."""
    item = (
        ReviewItem.objects.select_for_update(skip_locked=True)
        .filter(pk=item_id, status="open")
        .first()
    )
    if item is None:
        return None, ReviewItem.objects.filter(pk=item_id, status="open").exists()
    now = timezone.now()
    live = item.assignments.filter(Q(state="submitted") | Q(state="leased", leased_until__gt=now))
    if live.exclude(evaluator=evaluator).count() >= item.evaluations_wanted:
        return None, False
    assignment, _ = Assignment.objects.get_or_create(
        item=item, evaluator=evaluator, defaults={"leased_until": _lease_until()}
    )
    if assignment.state != "leased" or assignment.leased_until <= now:
        if assignment.state in ("submitted", "skipped"):
            return None, False
        assignment.leased_until = _lease_until()
        assignment.save(update_fields=["leased_until"])
    return item, False


@transaction.atomic
def review_skip(*, item: ReviewItem, evaluator) -> None:
    """Release the item for others; it is never offered to this evaluator again."""
    Assignment.objects.update_or_create(
        item=item,
        evaluator=evaluator,
        defaults={"state": "skipped", "leased_until": timezone.now()},
    )


@transaction.atomic
def evaluation_submit(
    *,
    item: ReviewItem,
    evaluator,
    scores: dict[str, int],
    verdict: str,
    instruction: str = "",
    edits: dict | None = None,
    comment: str = "",
    seconds_spent: int = 0,
) -> Evaluation:
    """Record one evaluator's scores (one 1-10 per active criterion of the step) and verdict;
    the overall is the criteria's weighted mean. "regenerate" re-runs the page from this step
    with the instruction (an image model) or the edits (the local renderer, which follows no
    free text; see generation/services/regeneration.py)."""
    assignment = (
        Assignment.objects.select_for_update()
        .filter(item=item, evaluator=evaluator, state="leased", leased_until__gt=timezone.now())
        .first()
    )
    if assignment is None:
        raise Conflict(
            "this item is not leased to you (the lease may have expired): ask for the next item"
        )
    criteria = list(Criterion.objects.filter(step=item.step, active=True))
    overall = _overall(criteria, scores)
    _check_bounds(instruction=instruction, comment=comment, seconds_spent=seconds_spent)
    _check_verdict(item=item, verdict=verdict, instruction=instruction, edits=edits)
    evaluation = Evaluation.objects.create(
        step_run=item.step_run,
        evaluator=evaluator,
        overall=overall,
        verdict=verdict,
        instruction=instruction.strip(),
        comment=comment,
        seconds_spent=seconds_spent,
    )
    Score.objects.bulk_create(
        Score(evaluation=evaluation, criterion=criterion, value=scores[criterion.key])
        for criterion in criteria
    )
    assignment.state = "submitted"
    assignment.save(update_fields=["state"])
    if item.assignments.filter(state="submitted").count() >= item.evaluations_wanted:
        ReviewItem.objects.filter(pk=item.pk).update(status="done")
    _act_on_page(item, evaluation, edits if verdict == Verdict.REGENERATE else None)
    return evaluation


def _check_verdict(*, item: ReviewItem, verdict: str, instruction: str, edits: dict | None) -> None:
    """A known verdict; "regenerate" says what to change and is for a page's output."""
    if verdict not in Verdict.values:
        raise InvalidInput(
            f"verdict must be one of {', '.join(Verdict.values)}", details={"verdict": verdict}
        )
    if verdict == Verdict.REGENERATE and not (instruction.strip() or edits):
        local = item.step_run.page_id is not None and renders_locally(item.step_run.page)
        raise InvalidInput(
            "say what to change: regenerate needs an instruction"
            + (f" or, for the local renderer, edits ({', '.join(LOCAL_EDITS)})" if local else ""),
            details={"edits" if local else "instruction": ""},
        )
    if verdict == Verdict.REGENERATE and item.step_run.page_id is None:
        raise InvalidInput(
            f"{item.step} output belongs to the whole batch and cannot be regenerated here: "
            "reject it (and start a new batch if needed)",
            details={"verdict": verdict},
        )


def _check_bounds(*, instruction: str, comment: str, seconds_spent: int) -> None:
    """What one evaluation may record (the database refuses more as well)."""
    for field, text, limit in (
        ("instruction", instruction, MAX_INSTRUCTION_CHARS),
        ("comment", comment, MAX_COMMENT_CHARS),
    ):
        if len(text) > limit:
            raise InvalidInput(
                f"{field} has {len(text)} characters; the limit is {limit}",
                details={field: "too long"},
            )
    if isinstance(seconds_spent, bool) or not 0 <= seconds_spent <= MAX_SECONDS_SPENT:
        raise InvalidInput(
            f"seconds_spent must be from 0 to {MAX_SECONDS_SPENT} (a day)",
            details={"seconds_spent": "out of range"},
        )


def _act_on_page(item: ReviewItem, evaluation: Evaluation, edits: dict | None) -> None:
    """What a verdict does to the page: regenerate re-runs it from this step with the
    instruction or edits (the new attempts link back to this evaluation); on a page held at this step,
    accept lets it go on with this output, and once every attempt of the held round has been
    judged without an accept, the page fails with the evaluators' reasons."""
    run = item.step_run
    if evaluation.verdict == Verdict.REGENERATE:
        page_regenerate(
            page=run.page,
            from_step=run.step,
            instruction=evaluation.instruction,
            edits=edits,
            source=evaluation.source,
        )
        _demote_held(run)
        return
    if item.priority != HELD_PRIORITY or run.page is None:
        return
    page = run.page
    if page.status != PageStatus.HELD or page.resume_step != run.step:
        return
    if evaluation.verdict == Verdict.ACCEPT:
        page_release(page=page, step_run=run)
        _demote_held(run)
        return
    held = ReviewItem.objects.filter(
        step_run__page=page, step=run.step, priority=HELD_PRIORITY
    ).annotate(evaluated=Count("step_run__evaluations"))
    if all(other.evaluated for other in held):
        verdicts = Evaluation.objects.filter(step_run__review_item__in=held)
        if not verdicts.filter(verdict=Verdict.ACCEPT).exists():
            reasons = [e.comment or e.verdict for e in verdicts.order_by("created_at")]
            page_reject(page=page, step_run=run, reason="; ".join(reasons)[:500])
            _demote_held(run)


def _demote_held(run: StepRun) -> None:
    """The page no longer waits: its round's items stay open for calibration, at no priority."""
    ReviewItem.objects.filter(
        step_run__page_id=run.page_id, step=run.step, priority=HELD_PRIORITY
    ).update(priority=0)


def _overall(criteria: list[Criterion], scores: dict[str, int]) -> float:
    if not criteria:
        raise InvalidInput("this step has no active criteria to score")
    expected = {criterion.key for criterion in criteria}
    missing, unknown = sorted(expected - set(scores)), sorted(set(scores) - expected)
    if missing or unknown:
        raise InvalidInput(
            f"score every criterion of the step: missing {', '.join(missing) or 'none'}, unknown {', '.join(unknown) or 'none'}",
            details={"scores": {"missing": missing, "unknown": unknown}},
        )
    bad = sorted(
        key
        for key, value in scores.items()
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10
    )
    if bad:
        raise InvalidInput(
            f"scores are whole numbers from 1 to 10: {', '.join(bad)}", details={"scores": bad}
        )
    total = sum(criterion.weight for criterion in criteria)
    return round(sum(criterion.weight * scores[criterion.key] for criterion in criteria) / total, 2)


@transaction.atomic
def criterion_retire(*, criterion: Criterion) -> Criterion:
    """Retire a criterion and return an active, not yet used copy to edit in its place, so
    evaluations made against the old wording keep their meaning."""
    criterion = Criterion.objects.select_for_update().get(pk=criterion.pk)
    if not criterion.active:
        raise Conflict(f"criterion {criterion.key!r} is retired already")
    Criterion.objects.filter(pk=criterion.pk).update(active=False)
    return Criterion.objects.create(
        step=criterion.step,
        key=criterion.key,
        label=criterion.label,
        description=criterion.description,
        weight=criterion.weight,
        order=criterion.order,
    )

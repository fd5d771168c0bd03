"""The review queue fills itself from the engine's signal."""

from django.db.models import F

from generation.models import StepRun
from generation.pipeline.engine import step_policy
from review.models import ReviewItem, ReviewReason

HELD_PRIORITY = 100
FLAGGED_PRIORITY = 50


def queue_for_review(
    sender: type,
    *,
    runs: list[StepRun],
    reason: str,
    held: bool,
    note: str = "",
    **kwargs: object,
) -> None:
    """One ReviewItem per attempt (a repeated signal changes nothing), wanting the step
    policy's overlap of evaluations; held pages lead, flagged ones come next. Flagging an
    output that was already reviewed opens its item again for one more evaluation."""
    overlap = {step: step_policy(step).review_overlap for step in {run.step for run in runs}}
    flagged = reason == ReviewReason.FLAGGED
    priority = HELD_PRIORITY if held else FLAGGED_PRIORITY if flagged else 0
    for run in runs:
        item, created = ReviewItem.objects.get_or_create(
            step_run=run,
            defaults={
                "step": run.step,
                "reason": reason,
                "priority": priority,
                "evaluations_wanted": overlap[run.step],
                "note": note,
            },
        )
        if created or not flagged:
            continue
        reopened = {"reason": reason, "note": note, "priority": max(item.priority, priority)}
        if item.status == "done":
            reopened.update(status="open", evaluations_wanted=F("evaluations_wanted") + 1)
        ReviewItem.objects.filter(pk=item.pk).update(**reopened)

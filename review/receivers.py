"""The review queue fills itself from the engine's signal."""

from generation.models import StepRun
from review.models import ReviewItem

HELD_PRIORITY = 100


def queue_for_review(
    sender: type, *, runs: list[StepRun], reason: str, held: bool, **kwargs: object
) -> None:
    """One ReviewItem per attempt (a repeated signal changes nothing); held pages lead."""
    for run in runs:
        ReviewItem.objects.get_or_create(
            step_run=run,
            defaults={"step": run.step, "reason": reason, "priority": HELD_PRIORITY if held else 0},
        )

"""Which attempts of a finished round the engine sends to people (human review)."""

from __future__ import annotations

import random

from django.db import transaction

from generation.models import StepPolicy, StepRun
from generation.signals import attempts_for_review


def ask_for_review(usable: list[StepRun], best: StepRun, policy: StepPolicy, *, held: bool) -> None:
    """Every attempt of a round no attempt passed goes to people; of a passing round, the
    selected attempt goes when someone asked for the re-run (requested), otherwise with
    probability `review_sample_rate` (sampled). Sent once the selection commits."""
    if not best.passed:
        runs, reason = usable, "below_threshold"
    elif best.requested_by:
        runs, reason = [best], "requested"
    elif policy.review_sample_rate and random.random() < policy.review_sample_rate:
        runs, reason = [best], "sampled"
    else:
        return
    transaction.on_commit(
        lambda: attempts_for_review.send(sender=StepRun, runs=runs, reason=reason, held=held)
    )

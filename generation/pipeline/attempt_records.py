"""Recording an attempt: its output put on its StepRun, and its insert."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from generation.errors import LeaseLost
from generation.images import encode_png

if TYPE_CHECKING:
    from generation.models import StepRun
    from generation.pipeline.engine import StepOutput


def store_output(run: StepRun, output: StepOutput) -> None:
    """Put a step's output on its StepRun (the image goes to storage; nothing is saved yet)."""
    run.output_text = output.text
    run.output_data = output.data
    run.provider, run.model, run.cache_hit = output.provider, output.model, output.cache_hit
    run.cost_usd = 0.0 if output.cache_hit else output.cost_usd
    run.call_ms = output.call_ms
    run.hedge_after_ms = output.hedge_after_ms
    run.hedged, run.hedge_won = output.hedged, output.hedge_won
    run.hedge_cost_usd = output.hedge_cost_usd
    if output.image is not None:
        name = f"{run.page.index if run.page else 'batch'}-{run.step}-{run.attempt}.png"
        data = output.image_png or encode_png(output.image)
        run.output_image.save(name, ContentFile(data), save=False)


def save_attempt(run: StepRun) -> None:
    """Record a new attempt. Its number is taken when another worker (whose lease replaced an
    expired one) recorded that attempt first: the page is that worker's now."""
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        raise LeaseLost(
            f"{run.step} attempt {run.attempt} of page {run.page_id} was recorded by another worker"
        ) from None

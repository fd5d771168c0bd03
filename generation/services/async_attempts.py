"""Asynchronous providers (kie): an attempt waits for the provider's answer, which comes by
webhook (generation/api/webhooks.py) or by polling (generation.tasks.poll_async_attempts)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from PIL import Image

from generation.engine import StepOutput, store_output
from generation.models import Page, PageStatus, StepRun
from generation.providers.base import ErrorKind, ProviderError
from generation.services.queue import pages_enqueue

logger = logging.getLogger("nanodeck.pipeline")


@transaction.atomic
def attempt_complete(
    *,
    provider: str,
    task_id: str,
    image: Image.Image | None = None,
    error: ProviderError | None = None,
    usage: dict | None = None,
    cost_usd: float = 0.0,
) -> tuple[StepRun | None, bool]:
    """Record an asynchronous provider's answer (webhook or poll) on the attempt that waits
    for it, and queue its page to continue. Returns (the attempt or None when the task id is
    unknown, whether anything changed): a replayed answer changes nothing."""
    run = (
        StepRun.objects.select_for_update(of=("self",))  # not the page: a nullable outer join
        .select_related("page")
        .filter(provider=provider, external_id=task_id)
        .first()
    )
    if run is None or run.external_state != "pending":
        return run, False
    if image is not None:
        data = {"boxes": None, "safe_box": None, "layout": "", "usage": usage or {}}
        store_output(
            run,
            StepOutput(
                image=image, data=data, provider=provider, model=run.model, cost_usd=cost_usd
            ),
        )
        run.external_state = "succeeded"
    else:
        error = error or ProviderError(ErrorKind.TRANSIENT, f"{provider} gave no image")
        run.error_kind, run.error_message, run.external_state = (
            error.kind.value,
            error.message,
            "failed",
        )
    run.finished_at = timezone.now()
    run.latency_ms = round((run.finished_at - run.started_at).total_seconds() * 1000)
    run.save()
    page = run.page
    if page is not None and page.status == PageStatus.PENDING:
        Page.objects.filter(pk=page.pk).update(waiting_for="", not_before=None)
        pages_enqueue(page_ids=[page.pk])
    logger.info(
        "attempt_completed provider=%s task=%s state=%s", provider, task_id, run.external_state
    )
    return run, True

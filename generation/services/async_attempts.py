"""Asynchronous providers (kie): an attempt waits for the provider's answer, which comes by
webhook (generation/api/webhooks.py) or by polling (generation.tasks.poll_async_attempts)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image

from generation.errors import InvalidInput
from generation.models import Page, PageStatus, StepRun
from generation.pipeline.engine import StepOutput, store_output
from generation.providers.base import ErrorKind, ProviderError
from generation.providers.kie import KieOutcome
from generation.providers.registry import image_provider
from generation.selectors import attempts_pending
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


def attempts_poll() -> dict:
    """Ask kie (the one asynchronous provider) about attempts still pending after
    ASYNC_POLL_AFTER_SECONDS (their webhook did not come) and record the finished ones. A task
    kie does not know (or refuses to report) is recorded as failed; an unreachable kie is asked
    again on the next run."""
    after = timedelta(seconds=settings.NANODECK["ASYNC_POLL_AFTER_SECONDS"])
    runs = attempts_pending(provider="kie", older_than=after)
    result = {"polled": len(runs), "recorded": 0, "waiting": 0, "unanswered": 0}
    if not runs:
        return result
    try:
        provider = image_provider("kie")
    except InvalidInput as exc:
        logger.warning("poll_skipped provider=kie pending=%s reason=%s", len(runs), exc.message)
        result["unanswered"] = len(runs)
        return result
    for run in runs:
        try:
            outcome = provider.record_info(run.external_id)
        except ProviderError as exc:
            if exc.kind != ErrorKind.INVALID_REQUEST:
                result["unanswered"] += 1
                continue
            outcome = KieOutcome(run.external_id, None, exc)
        if outcome is None:
            result["waiting"] += 1
            continue
        _, changed = attempt_complete(
            provider="kie", task_id=run.external_id, **outcome.for_attempt(run)
        )
        result["recorded"] += changed
    logger.info("poll provider=kie %s", " ".join(f"{k}={v}" for k, v in result.items()))
    return result

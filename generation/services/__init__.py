"""Workflows over several models: create, plan, run, cancel, retry, regenerate, sweep.

Views, admin actions, commands and tasks all call these; nothing else changes batch or page
state. Queued work is handed to django-q2 with `transaction.on_commit` and carries ids only.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image

from generation.engine import StepContext, StepOutput, output_select, store_output
from generation.errors import Conflict, InvalidInput
from generation.models import PAGE_STEPS as PAGE_STEPS_ORDER
from generation.models import Batch, BatchStatus, Page, PageStatus, ProviderCall, StepRun
from generation.providers.base import ErrorKind, ProviderError
from generation.services.batches import OPEN_PAGE_STATUSES, batch_refresh
from generation.services.pages import lease_duration
from generation.services.queue import PLAN_TASK, broker_check, pages_enqueue, tasks_send
from generation.signals import attempts_for_review
from generation.steps import PAGE_STEPS

logger = logging.getLogger("nanodeck.pipeline")

PAGE_STEP_NAMES = PAGE_STEPS_ORDER
FLAGGABLE_STEPS = ("describe", "render")  # page steps whose output people judge


@transaction.atomic
def page_regenerate(
    *, page: Page, from_step: str = "describe", instruction: str = "", source: str = ""
) -> Page:
    """Run the page again from `from_step`, with an optional instruction for that step.
    `source` names who asked (e.g. "evaluation:42"); the new attempts carry it."""
    if from_step not in PAGE_STEP_NAMES:
        raise InvalidInput(
            f"from_step must be one of {', '.join(PAGE_STEP_NAMES)}",
            details={"from_step": from_step},
        )
    page = Page.objects.select_for_update().select_related("batch").get(pk=page.pk)
    if page.batch.status in (BatchStatus.CANCELLED, BatchStatus.PENDING, BatchStatus.PLANNING):
        raise Conflict(
            f"the batch is {page.batch.status}; pages can be regenerated once it is running or done"
        )
    if page.status == PageStatus.RUNNING:
        raise Conflict("the page is being generated right now; try again when it has finished")
    page.status, page.resume_step, page.instruction, page.error = (
        PageStatus.PENDING,
        from_step,
        instruction,
        "",
    )
    page.instruction_source = source if instruction else ""
    page.finished_at = None
    page.save(
        update_fields=[
            "status",
            "resume_step",
            "instruction",
            "instruction_source",
            "error",
            "finished_at",
        ]
    )
    page.batch.reopen()
    pages_enqueue(page_ids=[page.pk])
    batch_refresh(batch=page.batch)
    return page


def _held_page(page: Page, step_run: StepRun) -> Page:
    page = Page.objects.select_for_update().select_related("batch").get(pk=page.pk)
    if page.status != PageStatus.HELD or page.resume_step != step_run.step:
        raise Conflict(
            f"the page is not held at {step_run.step} (it is {page.status}"
            f"{' at ' + page.resume_step if page.resume_step else ''})"
        )
    if step_run.page_id != page.pk or not step_run.round_closed or step_run.error_kind:
        raise Conflict("that attempt is not one of the held round's outputs")
    return page


@transaction.atomic
def page_release(*, page: Page, step_run: StepRun) -> Page:
    """A page held for review goes on with `step_run` (an attempt of the held step, chosen by
    people, not necessarily the one the engine preferred) from the following step."""
    page = _held_page(page, step_run)
    if not step_run.selected:
        ctx = StepContext(batch=page.batch, page=page)
        output_select(PAGE_STEPS[step_run.step], ctx, step_run)
    following = PAGE_STEP_NAMES[PAGE_STEP_NAMES.index(step_run.step) + 1 :]
    page.resume_step = following[0] if following else ""
    page.error = ""
    if page.resume_step:
        page.status = PageStatus.PENDING
        page.current_step = page.resume_step
        pages_enqueue(page_ids=[page.pk])
    else:
        page.status, page.finished_at = PageStatus.COMPLETED, timezone.now()
    page.save(update_fields=["status", "resume_step", "current_step", "error", "finished_at"])
    batch_refresh(batch=page.batch)
    return page


@transaction.atomic
def page_reject(*, page: Page, step_run: StepRun, reason: str) -> Page:
    """People found none of the held round's outputs usable: the page fails with their
    reason (retry-failed or regenerate takes it up again)."""
    page = _held_page(page, step_run)
    page.status, page.finished_at = PageStatus.FAILED, timezone.now()
    page.error = f"rejected in review at {step_run.step}: {reason}"[:2000]
    page.save(update_fields=["status", "error", "finished_at"])
    batch_refresh(batch=page.batch)
    return page


@transaction.atomic
def page_flag(*, page: Page, reason: str, step: str = "render") -> StepRun:
    """Someone saw something wrong with a page: its selected output of `step` is sent to
    human review with the reason, and the page is marked flagged."""
    if step not in FLAGGABLE_STEPS:
        raise InvalidInput(
            f"step must be one of {', '.join(FLAGGABLE_STEPS)}", details={"step": step}
        )
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say what is wrong: a flag needs a reason", details={"reason": ""})
    page = Page.objects.select_for_update().get(pk=page.pk)
    run = StepRun.objects.filter(page=page, step=step, selected=True).first()
    if run is None:
        raise Conflict(f"the page has no {step} output yet; flag it once that step has run")
    page.flagged, page.flag_reason = True, reason[:300]
    page.save(update_fields=["flagged", "flag_reason"])
    transaction.on_commit(
        lambda: attempts_for_review.send(
            sender=StepRun, runs=[run], reason="flagged", held=False, note=reason
        )
    )
    return run


# --- the sweeper ---------------------------------------------------------------------------


def sweep() -> dict:
    """Re-queue pages whose lease expired or whose task never started, and batches whose
    planning never started or never finished; close finished batches.

    Runs on a django-q2 schedule; safe to run at any time and any number of times.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.NANODECK["REQUEUE_AFTER_SECONDS"])
    expired, forgotten = _sweep_pages(now, stale)
    requeued, replanned = _sweep_batches(stale)
    live_holders = Page.objects.filter(lease_until__gte=now).values("lease_owner")
    freed, _ = (
        ProviderCall.objects.filter(created_at__lt=now - lease_duration())
        .exclude(holder__in=live_holders)
        .delete()
    )
    closed = 0
    for batch in Batch.objects.filter(status=BatchStatus.RUNNING).exclude(
        pages__status__in=OPEN_PAGE_STATUSES
    ):
        closed += batch_refresh(batch=batch).is_final
    result = {
        "requeued_expired": expired,
        "requeued_pending": forgotten,
        "requeued_batches": requeued,
        "replanned": replanned,
        "freed_provider_slots": freed,
        "closed": closed,
    }
    if any(result.values()):
        logger.info("sweep %s", " ".join(f"{k}={v}" for k, v in result.items()))
    return result


@transaction.atomic
def _sweep_pages(now, stale) -> tuple[int, int]:
    running_batches = Q(batch__status=BatchStatus.RUNNING)
    expired = list(
        Page.objects.filter(
            running_batches, status=PageStatus.RUNNING, lease_until__lt=now
        ).values_list("pk", flat=True)
    )
    Page.objects.filter(pk__in=expired, lease_until__lt=now).update(
        status=PageStatus.PENDING, lease_owner="", lease_until=None
    )
    forgotten = list(
        Page.objects.filter(running_batches, status=PageStatus.PENDING)
        .filter(Q(queued_at__lt=stale) | Q(queued_at__isnull=True) | Q(not_before__lte=now))
        .exclude(not_before__gt=now)  # waiting for a provider's circuit to cool down
        .exclude(pk__in=expired)
        .values_list("pk", flat=True)
    )
    pages_enqueue(page_ids=expired + forgotten)
    return len(expired), len(forgotten)


@transaction.atomic
def _sweep_batches(stale) -> tuple[int, int]:
    """Queued batches whose planning task never started (lost by the broker, or not sent when
    it was down) and batches stuck in planning (their worker died) are queued again. A batch
    never queued (run in-process) is left alone."""
    never_started = Batch.objects.filter(status=BatchStatus.PENDING, queued_at__lt=stale)
    stuck_planning = Batch.objects.filter(status=BatchStatus.PLANNING, started_at__lt=stale)
    lost = list(never_started.values_list("pk", flat=True))
    stuck = list(stuck_planning.values_list("pk", flat=True))
    if not lost and not stuck:
        return 0, 0
    broker_check()
    now = timezone.now()
    # Conditional updates: a batch a worker began planning meanwhile is left to it.
    never_started.filter(pk__in=lost).update(queued_at=now)
    stuck_planning.filter(pk__in=stuck).update(status=BatchStatus.PENDING, queued_at=now)
    batch_ids = [str(pk) for pk in lost + stuck]
    transaction.on_commit(lambda: tasks_send(func=PLAN_TASK, ids=batch_ids, label="plan"))
    return len(lost), len(stuck)


# --- asynchronous providers ----------------------------------------------------------------


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

"""Workflows over several models: create, plan, run, cancel, retry, regenerate, sweep.

Views, admin actions, commands and tasks all call these; nothing else changes batch or page
state. Queued work is handed to django-q2 with `transaction.on_commit` and carries ids only.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from PIL import Image

from generation.engine import StepContext, StepOutput, output_select, run_step, store_output
from generation.errors import Conflict, InvalidInput, ProviderWaiting, StepFailed, StepHeld
from generation.models import PAGE_STEPS as PAGE_STEPS_ORDER
from generation.models import Batch, BatchStatus, Page, PageStatus, ProviderCall, StepRun
from generation.options import BatchOptions
from generation.outline import OutlineError, parse_outline
from generation.planner import compose_pages
from generation.providers.base import ErrorKind, ProviderError
from generation.services.pages import lease_duration, page_claim, page_run, worker_id
from generation.services.queue import PLAN_TASK, broker_check, pages_enqueue, tasks_send
from generation.signals import attempts_for_review
from generation.steps import BATCH_STEPS, PAGE_STEPS
from templates_app.models import SlideTemplate
from templates_app.services import template_snapshot

logger = logging.getLogger("nanodeck.pipeline")

PAGE_STEP_NAMES = PAGE_STEPS_ORDER
OPEN_PAGE_STATUSES = (PageStatus.PENDING, PageStatus.RUNNING, PageStatus.HELD)
SYNC_WAIT_SECONDS = 0.5  # a synchronous run polls this often for pages other workers hold
FLAGGABLE_STEPS = ("describe", "render")  # page steps whose output people judge


# --- creating ------------------------------------------------------------------------------


def outline_check_size(*, outline: str) -> None:
    """Refuse an outline that makes more slides than MAX_PAGES_PER_BATCH, before anything is
    stored. The local planner counts them without splitting long pages (the fewest slides
    planning can make); a brief it cannot read is left to the text model, whose plan is held
    to the same limit by the plan step."""
    try:
        structured = parse_outline(outline)
    except OutlineError:
        return
    slides = len(compose_pages(structured, max_items_per_page=sys.maxsize))
    limit = settings.NANODECK["MAX_PAGES_PER_BATCH"]
    if slides > limit:
        raise InvalidInput(
            f"the outline makes {slides} slides; the limit is {limit} (MAX_PAGES_PER_BATCH): "
            "split it into several decks",
            details={"outline": "too many slides"},
        )


@transaction.atomic
def batch_create(
    *,
    owner=None,
    template: SlideTemplate,
    outline: str,
    title: str = "",
    options: dict | None = None,
    enqueue: bool = False,
) -> Batch:
    """Create a batch; with `enqueue`, a worker plans and runs it once this commits."""
    outline = (outline or "").strip()
    if not outline:
        raise InvalidInput("the outline is empty", details={"outline": "empty"})
    limit = settings.NANODECK["MAX_OUTLINE_CHARS"]
    if len(outline) > limit:
        raise InvalidInput(
            f"the outline has {len(outline)} characters; the limit is {limit}",
            details={"outline": "too long"},
        )
    outline_check_size(outline=outline)
    if not template.is_active:
        raise InvalidInput(
            f"template '{template.slug}' is not active", details={"template": template.slug}
        )
    batch = Batch(
        owner=owner,
        template=template,
        outline=outline,
        title=title[:300],
        options=BatchOptions.parse(options).as_json(),
    )
    # Everything is checked before the template's images are copied into the batch's folder,
    # so a refused request leaves no file behind.
    batch.full_clean(exclude=["template_snapshot"])
    batch.template_snapshot = template_snapshot(template=template, copy_to=f"batches/{batch.pk}")
    try:
        batch.save()
    except Exception:
        for image in batch.template_snapshot["reference_images"]:
            default_storage.delete(image["path"])
        raise
    logger.info("batch_created batch=%s template=%s", batch.pk, template.slug)
    if enqueue:
        batch_enqueue(batch=batch)
    return batch


def batch_enqueue(*, batch: Batch) -> None:
    """Queue the batch's planning for a worker once the surrounding transaction has committed.

    Raises BrokerUnavailable, before anything commits, when the queue does not answer; a send
    that fails after the commit leaves the batch to the sweeper (see `_send`).
    """
    broker_check()
    now = timezone.now()
    Batch.objects.filter(pk=batch.pk).update(queued_at=now)
    batch.queued_at = now
    transaction.on_commit(lambda: tasks_send(func=PLAN_TASK, ids=[str(batch.pk)], label="plan"))


def batch_abandon(*, batch_id: str, claimed: bool) -> bool:
    """A stopping worker hands back a batch: one it was planning (`claimed`), or whose planning
    task it got but did not start. Pending again and queued; finished planning steps are kept.
    False when the batch was not in that state."""
    status = BatchStatus.PLANNING if claimed else BatchStatus.PENDING
    with transaction.atomic():
        if not Batch.objects.filter(pk=batch_id, status=status).update(status=BatchStatus.PENDING):
            return False
        batch_enqueue(batch=Batch(pk=batch_id))
    logger.info("batch_handed_back batch=%s", batch_id)
    return True


# --- planning ------------------------------------------------------------------------------


def _run_waiting_for_provider(step, ctx: StepContext) -> None:
    """Batch-level steps have no page to put back in the queue: wait here for the provider's
    circuit, up to half the task timeout, then fail with the reason."""
    deadline = time.monotonic() + settings.Q_CLUSTER["timeout"] / 2
    while True:
        try:
            run_step(step, ctx)
            return
        except ProviderWaiting as exc:
            wait = max(0.5, (exc.until - timezone.now()).total_seconds())
            if time.monotonic() + wait > deadline:
                raise StepFailed(
                    f"{step.name}: provider {exc.provider} is unavailable (circuit open)"
                ) from None
            time.sleep(wait)


def batch_plan(*, batch: Batch) -> Batch:
    """Run the batch-level steps that have no selected output yet; afterwards the batch has pages.

    Safe to run twice: a step already done is skipped, so a re-delivered task plans nothing again.
    """
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.PLANNING, started_at=timezone.now())
    batch.refresh_from_db()
    ctx = StepContext(batch=batch)
    try:
        for step in BATCH_STEPS.values():
            done = StepRun.objects.filter(
                batch=batch, page__isnull=True, step=step.name, selected=True
            )
            if not done.exists():
                _run_waiting_for_provider(step, ctx)
    except (StepFailed, StepHeld) as exc:
        batch.status, batch.error, batch.finished_at = (
            BatchStatus.FAILED,
            exc.message,
            timezone.now(),
        )
        batch.save(update_fields=["status", "error", "finished_at", "updated_at"])
        return batch
    except Exception as exc:  # a bug or an outage fails the batch instead of leaving it planning
        logger.exception("plan_crashed batch=%s", batch.pk)
        batch.status, batch.finished_at = BatchStatus.FAILED, timezone.now()
        batch.error = f"internal error while planning: {type(exc).__name__}: {exc}"[:2000]
        batch.save(update_fields=["status", "error", "finished_at", "updated_at"])
        return batch
    batch.status = BatchStatus.RUNNING
    batch.save(update_fields=["status", "updated_at"])
    return batch


# --- running a page ------------------------------------------------------------------------


# --- batch state ---------------------------------------------------------------------------


@transaction.atomic
def batch_refresh(*, batch: Batch) -> Batch:
    """Recount the pages under a row lock and derive the batch status from them."""
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    counts = batch.pages.aggregate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=PageStatus.COMPLETED)),
        failed=Count("id", filter=Q(status=PageStatus.FAILED)),
        open=Count("id", filter=Q(status__in=OPEN_PAGE_STATUSES)),
    )
    batch.total_pages, batch.completed_pages, batch.failed_pages = (
        counts["total"],
        counts["completed"],
        counts["failed"],
    )
    fields = ["total_pages", "completed_pages", "failed_pages", "updated_at"]
    if not counts["open"] and batch.status == BatchStatus.RUNNING:
        if counts["completed"] == counts["total"]:
            batch.status = BatchStatus.COMPLETED
        elif counts["completed"]:
            batch.status = BatchStatus.PARTIAL
        else:
            batch.status = BatchStatus.FAILED
            batch.error = "no page could be generated"
            fields.append("error")
        batch.finished_at = timezone.now()
        fields += ["status", "finished_at"]
    batch.save(update_fields=fields)
    return batch


def batch_run(*, batch: Batch) -> Batch:
    """The whole pipeline, synchronously, in this process (the CLI and tests use it).

    Pages are claimed with a lease like a worker's: workers running meanwhile (the sweeper
    queues pages nobody has claimed) never generate a page a second time. A page a worker
    holds is left to it, and this waits for it, so the batch is final on return (or has
    only pages held for review or waiting for a provider).
    """
    batch = batch_plan(batch=batch)
    if batch.status != BatchStatus.RUNNING:
        return batch
    worker = worker_id()
    while True:
        claimable = _claimable_pages(batch)
        for page_id in claimable:
            page = page_claim(page_id=page_id, worker=worker)
            if page is not None:
                page_run(page=page, worker=worker)
        if not claimable:
            if not batch.pages.filter(status=PageStatus.RUNNING).exists():
                break
            time.sleep(SYNC_WAIT_SECONDS)  # another worker holds a page: wait for it
    return batch_refresh(batch=batch)


def _claimable_pages(batch: Batch) -> list[int]:
    """Pages of a running batch that nobody holds: pending (and not waiting for a provider)
    or running under an expired lease."""
    now = timezone.now()
    free = Q(status=PageStatus.PENDING, waiting_for="") | Q(
        status=PageStatus.RUNNING, lease_until__lt=now
    )
    pages = Page.objects.filter(free, batch=batch, batch__status=BatchStatus.RUNNING)
    return list(pages.exclude(resume_step="").order_by("index").values_list("pk", flat=True))


@transaction.atomic
def batch_cancel(*, batch: Batch) -> Batch:
    """Stop scheduling new work; calls in flight finish and their pages end cancelled."""
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.is_final:
        raise Conflict(f"the batch is already {batch.status}")
    batch.pages.filter(status__in=[PageStatus.PENDING, PageStatus.HELD]).update(
        status=PageStatus.CANCELLED, finished_at=timezone.now()
    )
    batch.status, batch.finished_at = BatchStatus.CANCELLED, timezone.now()
    batch.save(update_fields=["status", "finished_at", "updated_at"])
    logger.info("batch_cancelled batch=%s", batch.pk)
    return batch


def _reopen(batch: Batch) -> None:
    Batch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.RUNNING, finished_at=None, error="", updated_at=timezone.now()
    )


@transaction.atomic
def batch_retry_failed(*, batch: Batch) -> int:
    """Queue every failed page again from the step it failed at; returns how many."""
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == BatchStatus.CANCELLED:
        raise Conflict("the batch was cancelled; create a new one")
    failed = list(batch.pages.filter(status=PageStatus.FAILED).values_list("pk", flat=True))
    if not failed:
        raise Conflict("the batch has no failed page to retry")
    batch.pages.filter(pk__in=failed).update(status=PageStatus.PENDING, error="", finished_at=None)
    _reopen(batch)
    pages_enqueue(page_ids=failed)
    batch_refresh(batch=batch)
    return len(failed)


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
    _reopen(page.batch)
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

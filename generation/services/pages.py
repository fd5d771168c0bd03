"""Running a page: its lease (claim, renew, hand back) and its steps from the resume point.

A page claimed with a lease is written only while the lease is still its worker's (Page.write):
a worker that lost the page to another stops quietly and touches nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from generation.errors import (
    AttemptPending,
    BatchCancelled,
    BudgetReached,
    LeaseLost,
    ProviderWaiting,
    StepFailed,
    StepHeld,
)
from generation.events.publish import batch_changed
from generation.models import Batch, BatchStatus, Page, PageStatus, Step, StepRun
from generation.pipeline.engine import StepContext, run_step, step_policies
from generation.pipeline.steps import page_steps
from generation.pipeline.steps.common import load_theme
from generation.selectors import batch_cost
from generation.services.queue import pages_enqueue

logger = logging.getLogger("nanodeck.pipeline")
# A checkpoint this soon after the claim (which renewed the lease and saw the batch running)
# has nothing to add: the first one, before the first attempt, is skipped.
CLAIM_FRESH_SECONDS = 1.0


def worker_id() -> str:
    """Who holds a lease: host, process and a random part (one per task run)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.NANODECK["PAGE_LEASE_SECONDS"])


def page_claim(*, page_id: int, worker: str) -> Page | None:
    """Take the page's lease and start it (one conditional UPDATE: what Page.start writes
    included); None when another worker holds it, the page is done or gone, or its batch is
    not running. Run the page with `page_run(..., claimed=True)`."""
    now = timezone.now()
    # The batch in an EXISTS, not a join: the page's own columns stay in the WHERE clause,
    # which PostgreSQL re-checks after waiting for the row lock (see PageQuerySet.claimable).
    running = Batch.objects.filter(pk=OuterRef("batch_id"), status=BatchStatus.RUNNING)
    taken = (
        Page.objects.filter(pk=page_id)
        .claimable(now)
        .filter(Exists(running))
        .update(
            status=PageStatus.RUNNING,
            lease_owner=worker,
            lease_until=now + lease_duration(),
            waiting_for="",
            not_before=None,
            error="",
            started_at=Coalesce(F("started_at"), Value(now)),
            current_step=F("resume_step"),  # never empty here: claimable() excludes it
        )
    )
    if not taken:
        return None
    page = Page.objects.select_related("batch").get(pk=page_id)
    batch_changed(page.batch_id)
    return page


def page_abandon(*, page_id: int, worker: str) -> bool:
    """A stopping worker hands back a page: if it holds the lease, the page is pending again
    (lease cleared, resume point kept) and queued; a page whose task had not been claimed is
    queued again. False when there was nothing to hand back."""
    with transaction.atomic():
        held = Page.objects.filter(pk=page_id, lease_owner=worker, status=PageStatus.RUNNING)
        released = held.release()
        if not released:
            unclaimed = Page.objects.in_running_batches().filter(
                pk=page_id, status=PageStatus.PENDING
            )
            if not unclaimed.exists():
                return False
        pages_enqueue(page_ids=[page_id])
    logger.info("page_handed_back page_id=%s worker=%s held=%s", page_id, worker, bool(released))
    return True


def page_run(*, page: Page, worker: str = "inline", claimed: bool = False) -> Page:
    """Run the page's steps from its resume point; it ends completed, held, failed or cancelled,
    or goes back to the queue to wait for a provider. `claimed`: the page comes straight from
    page_claim, which has started it and checked its lease and batch a moment ago.

    Each finished step moves the resume point forward in its own commit, so a crashed worker's
    successor continues where it stopped and never repeats a finished step.
    """
    lease, ctx = page.lease_owner, _context(page, worker, claimed=claimed)
    try:
        if not claimed:
            page.start(lease=lease)
        _run_steps(page, ctx)
        status, error = PageStatus.COMPLETED, ""
    except LeaseLost:
        return _lease_lost(page, worker)
    except AttemptPending as exc:
        # The provider answers later (webhook or polling): the worker is free meanwhile. The
        # page comes back once the answer is recorded, or after ASYNC_WAIT_SECONDS at the latest.
        wait = timedelta(seconds=settings.NANODECK["ASYNC_WAIT_SECONDS"])
        return _park(page, exc.provider, timezone.now() + wait, lease=lease, task=exc.task_id)
    except ProviderWaiting as exc:
        # Back to the queue with no attempt burned; the sweeper re-queues it once the
        # provider's circuit has cooled down.
        return _park(page, exc.provider, exc.until, lease=lease)
    except Exception as exc:  # a bug or an outage must fail the page, not leave it running forever
        status, error = _ending(page, exc)
    try:
        page.finish(status=status, error=error, lease=lease)
    except LeaseLost:
        return _lease_lost(page, worker)
    logger.info(
        "page_finished batch=%s page=%s status=%s worker=%s",
        page.batch_id,
        page.index,
        page.status,
        worker,
    )
    return page


def _context(page: Page, worker: str, *, claimed: bool) -> StepContext:
    fresh_until = [time.monotonic() + CLAIM_FRESH_SECONDS if claimed else 0.0]
    steps = page_steps(page.batch)
    return StepContext(
        batch=page.batch,
        page=page,
        # A deck's own photos are part of its theme (its cover); a single image's uploads are
        # its references, read by its render step, never decoded for the theme.
        theme=load_theme(
            page.batch.template_snapshot,
            page.batch.reference_images if page.batch.kind == "deck" else None,
        ),
        instruction=page.instruction,
        requested_by=page.instruction_source,
        worker=worker,
        checkpoint=lambda: _checkpoint(page, worker, fresh_until),
        advance=lambda fields: page.advance(lease=page.lease_owner, also=fields),
        policies=step_policies(list(steps)),
        attempts=_attempts(page, steps),
    )


def _attempts(page: Page, steps: dict) -> dict[str, list[StepRun]]:
    """Every attempt of the page's steps, by step, in one query. Read under the lease just
    taken: another worker can add attempts only once that lease is lost, which the next
    checkpoint (before any attempt) or the selection's advance notices (LeaseLost)."""
    attempts: dict[str, list[StepRun]] = {name: [] for name in steps}
    for run in StepRun.objects.filter(page=page).order_by("attempt"):
        attempts.setdefault(run.step, []).append(run)
    return attempts


def _run_steps(page: Page, ctx: StepContext) -> None:
    while page.resume_step:
        if page.resume_step == Step.RENDER and page.regeneration:
            # The render round someone asked for, whichever step the page was re-run from.
            ctx.requested_by = page.regeneration.get("requested_by", "")
        # The step's selection moves the page on in the same commit (ctx.advance).
        run_step(page_steps(page.batch)[page.resume_step], ctx)
        ctx.instruction = ctx.requested_by = ""  # an instruction is for the step it was given to


def _checkpoint(page: Page, worker: str, fresh_until: list[float]) -> None:
    """Renew the lease (when running under one) and stop if the batch was cancelled or its
    budget is spent. The first checkpoint within CLAIM_FRESH_SECONDS of the claim looks at
    the budget only: the claim itself renewed the lease and saw the batch running."""
    fresh, fresh_until[0] = time.monotonic() < fresh_until[0], 0.0
    if fresh:
        _budget_check(page)
        return
    cancelled = Batch.objects.filter(pk=page.batch_id, status=BatchStatus.CANCELLED)
    if page.lease_owner:
        # One query for both checks in the usual case; the lease on the page's own columns
        # (re-checked by PostgreSQL after a row lock wait), the batch in a NOT EXISTS.
        renewed = (
            Page.objects.filter(pk=page.pk, lease_owner=worker)
            .filter(~Exists(cancelled))
            .update(lease_until=timezone.now() + lease_duration())
        )
        if not renewed and not Page.objects.filter(pk=page.pk, lease_owner=worker).exists():
            raise LeaseLost(f"page {page.pk} is no longer leased to {worker}")
        if not renewed:
            raise BatchCancelled("the batch was cancelled")
    elif cancelled.exists():
        raise BatchCancelled("the batch was cancelled")
    _budget_check(page)


def _budget_check(page: Page) -> None:
    budget = page.batch.opts.budget_usd
    if budget is not None:
        spent = batch_cost(batch=page.batch)
        if spent >= budget:
            raise BudgetReached(
                f"the batch's budget of ${budget:.2f} is reached (${spent:.2f} spent)"
            )


def _ending(page: Page, exc: Exception) -> tuple[str, str]:
    """The status and error a run that raised `exc` ends with."""
    if isinstance(exc, BatchCancelled):
        return PageStatus.CANCELLED, ""
    if isinstance(exc, StepHeld):
        return PageStatus.HELD, exc.message
    if isinstance(exc, StepFailed | BudgetReached):
        return PageStatus.FAILED, exc.message
    logger.exception(
        "page_crashed batch=%s page=%s step=%s", page.batch_id, page.index, page.current_step
    )
    return (
        PageStatus.FAILED,
        f"internal error in {page.current_step}: {type(exc).__name__}: {exc}"[:2000],
    )


def _park(page: Page, provider: str, until: datetime, *, lease: str, task: str = "") -> Page:
    try:
        page.park(provider=provider, until=until, lease=lease)
    except LeaseLost:
        return page
    logger.info(
        "page_waiting batch=%s page=%s provider=%s until=%s task=%s",
        page.batch_id,
        page.index,
        provider,
        until,
        task or "-",
    )
    return page


def _lease_lost(page: Page, worker: str) -> Page:
    logger.warning("page_lease_lost batch=%s page=%s worker=%s", page.batch_id, page.index, worker)
    return page

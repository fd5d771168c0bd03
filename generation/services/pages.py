"""Running a page: its lease (claim, renew, hand back) and its steps from the resume point.

A page claimed with a lease is written only while the lease is still its worker's: a worker
that lost the page to another stops quietly and touches nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from generation.engine import StepContext, run_step
from generation.errors import (
    AttemptPending,
    BatchCancelled,
    BudgetReached,
    LeaseLost,
    ProviderWaiting,
    StepFailed,
    StepHeld,
)
from generation.models import PAGE_STEPS as PAGE_STEP_NAMES
from generation.models import Batch, BatchStatus, Page, PageStatus
from generation.selectors import batch_cost
from generation.services.queue import pages_enqueue
from generation.steps import PAGE_STEPS, load_theme

logger = logging.getLogger("nanodeck.pipeline")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.NANODECK["PAGE_LEASE_SECONDS"])


def page_abandon(*, page_id: int, worker: str) -> bool:
    """A stopping worker hands back a page: if it holds the lease, the page is pending again
    (lease cleared, resume point kept) and queued; a page whose task had not been claimed is
    queued again. False when there was nothing to hand back."""
    with transaction.atomic():
        held = Page.objects.filter(pk=page_id, lease_owner=worker, status=PageStatus.RUNNING)
        released = held.update(status=PageStatus.PENDING, lease_owner="", lease_until=None)
        if not released:
            unclaimed = Page.objects.filter(
                pk=page_id, status=PageStatus.PENDING, batch__status=BatchStatus.RUNNING
            )
            if not unclaimed.exists():
                return False
        pages_enqueue(page_ids=[page_id])
    logger.info("page_handed_back page_id=%s worker=%s held=%s", page_id, worker, bool(released))
    return True


def page_claim(*, page_id: int, worker: str) -> Page | None:
    """Take the page's lease (a conditional UPDATE); None when another worker holds it,
    the page is done or gone, or its batch is not running."""
    if not Page.objects.filter(pk=page_id, batch__status=BatchStatus.RUNNING).exists():
        return None
    now = timezone.now()
    claimable = Q(status=PageStatus.PENDING) | Q(status=PageStatus.RUNNING, lease_until__lt=now)
    # Conditions on the page's own columns only: a join would turn this into
    # `id IN (subquery)`, which PostgreSQL does not re-check after waiting for the row lock,
    # and racing workers would all win.
    taken = (
        Page.objects.filter(claimable, pk=page_id)
        .exclude(resume_step="")
        .update(
            status=PageStatus.RUNNING,
            lease_owner=worker,
            lease_until=now + lease_duration(),
            waiting_for="",
            not_before=None,
        )
    )
    if not taken:
        return None
    return Page.objects.select_related("batch").get(pk=page_id)


def _checkpoint(page: Page, worker: str) -> None:
    """Renew the lease (when running under one) and stop if the batch was cancelled."""
    if page.lease_owner:
        renewed = Page.objects.filter(pk=page.pk, lease_owner=worker).update(
            lease_until=timezone.now() + lease_duration()
        )
        if not renewed:
            raise LeaseLost(f"page {page.pk} is no longer leased to {worker}")
    if Batch.objects.filter(pk=page.batch_id, status=BatchStatus.CANCELLED).exists():
        raise BatchCancelled("the batch was cancelled")
    budget = page.batch.opts.budget_usd
    if budget is not None:
        spent = batch_cost(batch=page.batch)
        if spent >= budget:
            raise BudgetReached(
                f"the batch's budget of ${budget:.2f} is reached (${spent:.2f} spent)"
            )


def page_run(*, page: Page, worker: str = "inline") -> Page:
    """Run the page's steps from its resume point; it ends completed, held, failed or cancelled.

    Each finished step moves the resume point forward in its own commit, so a crashed worker's
    successor continues where it stopped and never repeats a finished step. A page claimed
    with a lease is written only while the lease is still `worker`'s: a worker that lost the
    page to another stops quietly and touches nothing.
    """
    batch, lease = page.batch, page.lease_owner
    ctx = StepContext(
        batch=batch,
        page=page,
        theme=load_theme(batch.template_snapshot),
        instruction=page.instruction,
        requested_by=page.instruction_source,
        worker=worker,
        checkpoint=lambda: _checkpoint(page, worker),
    )
    page.status, page.error = PageStatus.RUNNING, ""
    page.started_at = page.started_at or timezone.now()
    page.current_step = page.resume_step or page.current_step
    try:
        _page_write(page, ["status", "error", "started_at", "current_step"], lease=lease)
        _run_page_steps(page, ctx, lease=lease)
    except LeaseLost:
        logger.warning("page_lease_lost batch=%s page=%s worker=%s", batch.pk, page.index, worker)
        return page
    except AttemptPending as exc:
        # The provider answers later (webhook or polling): the worker is free meanwhile. The
        # page comes back once the answer is recorded, or after ASYNC_WAIT_SECONDS at the latest.
        wait = timedelta(seconds=settings.NANODECK["ASYNC_WAIT_SECONDS"])
        return _page_wait(page, exc.provider, timezone.now() + wait, lease=lease, task=exc.task_id)
    except ProviderWaiting as exc:
        # Back to the queue with no attempt burned; the sweeper re-queues it once the
        # provider's circuit has cooled down.
        return _page_wait(page, exc.provider, exc.until, lease=lease)
    except BatchCancelled:
        page.status = PageStatus.CANCELLED
    except StepHeld as exc:
        page.status, page.error = PageStatus.HELD, exc.message
    except (StepFailed, BudgetReached) as exc:
        page.status, page.error = PageStatus.FAILED, exc.message
    except Exception as exc:  # a bug or an outage must fail the page, not leave it running forever
        logger.exception(
            "page_crashed batch=%s page=%s step=%s", batch.pk, page.index, page.current_step
        )
        page.status = PageStatus.FAILED
        page.error = f"internal error in {page.current_step}: {type(exc).__name__}: {exc}"[:2000]
    else:
        page.status = PageStatus.COMPLETED
    return _page_end(page, lease=lease, worker=worker)


def _page_end(page: Page, *, lease: str, worker: str) -> Page:
    """Record the page's final status and give up its lease (unless the lease was lost)."""
    page.finished_at = timezone.now()
    page.lease_owner, page.lease_until = "", None
    try:
        fields = ["status", "error", "finished_at", "lease_owner", "lease_until"]
        _page_write(page, fields, lease=lease)
    except LeaseLost:
        logger.warning(
            "page_lease_lost batch=%s page=%s worker=%s", page.batch_id, page.index, worker
        )
        return page
    logger.info(
        "page_finished batch=%s page=%s status=%s worker=%s",
        page.batch_id,
        page.index,
        page.status,
        worker,
    )
    return page


def _run_page_steps(page: Page, ctx: StepContext, *, lease: str) -> None:
    while page.resume_step:
        step = page.resume_step
        run_step(PAGE_STEPS[step], ctx)
        following = PAGE_STEP_NAMES[PAGE_STEP_NAMES.index(step) + 1 :]
        page.resume_step = following[0] if following else ""
        page.current_step = page.resume_step or step
        # An instruction is for the step it was given to.
        page.instruction = ctx.instruction = ""
        page.instruction_source = ctx.requested_by = ""
        fields = ["resume_step", "current_step", "instruction", "instruction_source"]
        _page_write(page, fields, lease=lease)


def _page_write(page: Page, fields: list[str], *, lease: str) -> None:
    """Save `fields` of the page; under a lease, only while the lease is still held."""
    if not lease:
        page.save(update_fields=fields)
        return
    values = {field: getattr(page, field) for field in fields}
    if not Page.objects.filter(pk=page.pk, lease_owner=lease).update(**values):
        raise LeaseLost(f"page {page.pk} is no longer leased to {lease}")


def _page_wait(page: Page, provider: str, until, *, lease: str, task: str = "") -> Page:
    """The page goes back to pending until `until`, waiting for `provider`."""
    page.status, page.waiting_for, page.not_before = PageStatus.PENDING, provider, until
    page.lease_owner, page.lease_until = "", None
    fields = ["status", "waiting_for", "not_before", "lease_owner", "lease_until"]
    try:
        _page_write(page, fields, lease=lease)
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

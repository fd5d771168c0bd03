"""django-q2 tasks: they take ids, claim the row, call a service, and are safe to run twice."""

import logging

from generation.models import Batch, BatchStatus
from generation.services import (
    batch_plan,
    batch_refresh,
    page_claim,
    page_run,
    pages_enqueue,
    sweep,
    worker_id,
)

logger = logging.getLogger("nanodeck.tasks")


def plan_batch(batch_id: str) -> str:
    """Plan a pending batch and queue one task per page. A batch not pending is left alone."""
    claimed = Batch.objects.filter(pk=batch_id, status=BatchStatus.PENDING).update(
        status=BatchStatus.PLANNING
    )
    if not claimed:
        logger.info("plan_skipped batch=%s reason=not_pending_or_missing", batch_id)
        return "skipped"
    batch = batch_plan(batch=Batch.objects.get(pk=batch_id))
    if batch.status == BatchStatus.RUNNING:
        pages_enqueue(list(batch.pages.filter(status="pending").values_list("pk", flat=True)))
    return batch.status


def run_page(page_id: int) -> str:
    """Claim the page's lease and run what is missing of it."""
    worker = worker_id()
    page = page_claim(page_id=page_id, worker=worker)
    if page is None:
        logger.info("page_skipped page_id=%s reason=not_claimable", page_id)
        return "skipped"
    page = page_run(page=page, worker=worker)
    batch_refresh(batch=page.batch)
    return page.status


def sweep_pages() -> dict:
    return sweep()

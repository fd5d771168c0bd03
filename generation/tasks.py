"""django-q2 tasks: they take ids, claim the row, call a service, and are safe to run twice."""

import logging
from collections.abc import Callable

from generation import shutdown
from generation.errors import BrokerUnavailable
from generation.models import BatchStatus, PageStatus
from generation.services.async_attempts import attempts_poll, gemini_batches_run
from generation.services.batches import batch_abandon, batch_claim, batch_plan, batch_refresh
from generation.services.pages import page_abandon, page_claim, page_run, worker_id
from generation.services.queue import pages_enqueue
from generation.services.retention import expired_cleanup
from generation.services.sweeper import sweep
from generation.shutdown import WorkerStopping, interruptible, stop_requested

logger = logging.getLogger("nanodeck.tasks")


def plan_batch(batch_id: str) -> str:
    """Plan a pending batch and queue one task per page. A batch not pending is left alone."""
    if stop_requested():
        return _hand_back(batch_abandon, batch_id=batch_id, claimed=False)
    batch = batch_claim(batch_id=batch_id)
    if batch is None:
        logger.info("plan_skipped batch=%s reason=not_pending_or_missing", batch_id)
        return "skipped"
    try:
        with interruptible():
            batch = batch_plan(batch=batch)
    except WorkerStopping:
        return _hand_back(batch_abandon, batch_id=batch_id, claimed=True)
    if batch.status == BatchStatus.RUNNING:
        pages_enqueue(
            page_ids=list(
                batch.pages.filter(status=PageStatus.PENDING).values_list("pk", flat=True)
            )
        )
    return batch.status


def run_page(page_id: int) -> str:
    """Claim the page's lease and run what is missing of it."""
    worker = worker_id()
    if stop_requested():
        return _hand_back(page_abandon, page_id=page_id, worker=worker)
    try:
        with interruptible():
            page = page_claim(page_id=page_id, worker=worker)
            if page is None:
                logger.info("page_skipped page_id=%s reason=not_claimable", page_id)
                return "skipped"
            page = page_run(page=page, worker=worker, claimed=True)
    except WorkerStopping:
        return _hand_back(page_abandon, page_id=page_id, worker=worker)
    batch_refresh(batch=page.batch)
    return page.status


def _hand_back(abandon: Callable[..., bool], **ids: object) -> str:
    """The worker is stopping: put the work back in the queue for the next worker."""
    shutdown.fresh_connections()
    try:
        abandon(**ids)
    except BrokerUnavailable as exc:  # stored as pending: the sweeper queues it later
        logger.warning("hand_back_unqueued %s error=%s", ids, exc.message)
    return "handed back"


def sweep_pages() -> dict:
    return sweep()


def cleanup_expired() -> dict:
    """Daily: delete what RETENTION_DAYS has expired, and batch folders no batch owns."""
    return expired_cleanup()


def poll_async_attempts() -> dict:
    """Ask kie about attempts whose webhook did not come, and record its answers."""
    return attempts_poll()


def run_gemini_batches() -> dict:
    """Send the gathered Batch API requests, poll the open jobs, record the finished ones."""
    return gemini_batches_run()

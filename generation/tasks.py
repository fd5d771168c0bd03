"""django-q2 tasks: they take ids, claim the row, call a service, and are safe to run twice."""

import logging
from datetime import timedelta

from django.conf import settings

from generation import shutdown
from generation.errors import BrokerUnavailable, InvalidInput
from generation.models import Batch, BatchStatus
from generation.providers.base import ErrorKind, ProviderError
from generation.providers.kie import KieOutcome
from generation.providers.registry import image_provider
from generation.retention import expired_cleanup
from generation.selectors import attempts_pending
from generation.services.async_attempts import attempt_complete
from generation.services.batches import batch_abandon, batch_plan, batch_refresh
from generation.services.pages import page_abandon, page_claim, page_run, worker_id
from generation.services.queue import pages_enqueue
from generation.services.sweeper import sweep
from generation.shutdown import WorkerStopping, interruptible, stop_requested

logger = logging.getLogger("nanodeck.tasks")


def plan_batch(batch_id: str) -> str:
    """Plan a pending batch and queue one task per page. A batch not pending is left alone."""
    if stop_requested():
        return _hand_back(batch_abandon, batch_id=batch_id, claimed=False)
    claimed = Batch.objects.filter(pk=batch_id, status=BatchStatus.PENDING).update(
        status=BatchStatus.PLANNING
    )
    if not claimed:
        logger.info("plan_skipped batch=%s reason=not_pending_or_missing", batch_id)
        return "skipped"
    try:
        with interruptible():
            batch = batch_plan(batch=Batch.objects.get(pk=batch_id))
    except WorkerStopping:
        return _hand_back(batch_abandon, batch_id=batch_id, claimed=True)
    if batch.status == BatchStatus.RUNNING:
        pages_enqueue(
            page_ids=list(batch.pages.filter(status="pending").values_list("pk", flat=True))
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
            page = page_run(page=page, worker=worker)
    except WorkerStopping:
        return _hand_back(page_abandon, page_id=page_id, worker=worker)
    batch_refresh(batch=page.batch)
    return page.status


def _hand_back(abandon, **ids) -> str:
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
    """Ask kie about attempts still pending after ASYNC_POLL_AFTER_SECONDS (their webhook did
    not come) and record the finished ones. A task kie does not know (or refuses to report) is
    recorded as failed; an unreachable kie is asked again on the next run."""
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

"""django-q2 tasks: they take ids, claim the row, and call a service."""

import logging

from generation.models import Batch, BatchStatus
from generation.services import batch_run

logger = logging.getLogger("nanodeck.tasks")


def run_batch(batch_id: str) -> str:
    """Run a pending batch to the end. A batch already claimed or gone is left alone."""
    claimed = Batch.objects.filter(pk=batch_id, status=BatchStatus.PENDING).update(
        status=BatchStatus.PLANNING
    )
    if not claimed:
        logger.info("batch_skipped batch=%s reason=not_pending_or_missing", batch_id)
        return "skipped"
    batch = batch_run(batch=Batch.objects.get(pk=batch_id))
    return batch.status

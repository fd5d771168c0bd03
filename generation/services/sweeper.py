"""The sweeper: runs on a django-q2 schedule (generation.tasks.sweep_pages) and puts back in
the queue what a lost task, a dead worker or a broker outage left behind."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from generation.models import Batch, BatchStatus, Page, PageStatus, ProviderCall
from generation.services.batches import batch_refresh
from generation.services.pages import lease_duration
from generation.services.queue import PLAN_TASK, broker_check, pages_enqueue, tasks_send

logger = logging.getLogger("nanodeck.pipeline")


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
    for batch in Batch.objects.running().exclude(pages__status__in=Page.OPEN_STATUSES):
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
def _sweep_pages(now: datetime, stale: datetime) -> tuple[int, int]:
    pages = Page.objects.in_running_batches()
    expired = list(pages.lease_expired(now).values_list("pk", flat=True))
    Page.objects.filter(pk__in=expired).lease_expired(now).release()
    forgotten = list(
        pages.filter(status=PageStatus.PENDING)
        .filter(Q(queued_at__lt=stale) | Q(queued_at__isnull=True) | Q(not_before__lte=now))
        .exclude(not_before__gt=now)  # waiting for a provider's circuit to cool down
        .exclude(pk__in=expired)
        .values_list("pk", flat=True)
    )
    pages_enqueue(page_ids=expired + forgotten)
    return len(expired), len(forgotten)


@transaction.atomic
def _sweep_batches(stale: datetime) -> tuple[int, int]:
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

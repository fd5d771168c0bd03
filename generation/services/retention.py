"""Deleting batches with their files, and the daily cleanup of what has expired.

A batch's files all live under `batches/<batch id>/` in storage (page images and thumbnails,
every attempt's output, the template snapshot's copies), so a batch goes with that folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.models import Task

from generation.errors import Conflict
from generation.models import Batch, IdempotentRequest
from generation.services.uploads import uploads_expire

logger = logging.getLogger("nanodeck.retention")

BATCH_FOLDER = "batches"
# A folder no batch owns may belong to a batch being created (its template copy is made
# before the row commits): it is left alone until it is this old.
ORPHAN_GRACE = timedelta(hours=1)


def batch_folder(batch_id: uuid.UUID | str) -> str:
    return f"{BATCH_FOLDER}/{batch_id}"


def batch_delete(*, batch: Batch) -> None:
    """Delete a finished batch with its pages, attempts, review items and files.

    A batch still pending, planning or running is a Conflict: cancel it first, so that no
    worker writes into it while it goes. Files are deleted once the rows are gone for good.
    """
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if not batch.is_final:
            raise Conflict(
                f"the batch is {batch.status}; cancel it first "
                f"(POST /api/v1/batches/{batch.pk}/cancel/), then delete it"
            )
        folder = batch_folder(batch.pk)
        batch.delete()
        transaction.on_commit(lambda: _delete_tree(folder))
    logger.info("batch_deleted batch=%s", batch.pk)


def expired_cleanup(*, now: datetime | None = None) -> dict:
    """Delete finished batches (with their files) and the task queue's finished tasks older
    than RETENTION_DAYS (0: keep them), batch folders no batch owns, uploads nothing used
    within UPLOAD_TTL_HOURS, and the answers kept for Idempotency-Keys older than
    IDEMPOTENCY_TTL_HOURS (a retry after that is a new request)."""
    now = now or timezone.now()
    result = {"batches": 0, "files": 0, "tasks": 0, "orphan_folders": 0}
    result["uploads"] = uploads_expire(now=now)
    answered = now - timedelta(hours=settings.NANODECK["IDEMPOTENCY_TTL_HOURS"])
    result["idempotency_keys"], _ = IdempotentRequest.objects.filter(
        created_at__lt=answered
    ).delete()
    days = settings.NANODECK["RETENTION_DAYS"]
    if days:
        cutoff = now - timedelta(days=days)
        expired = Batch.objects.finished().filter(
            Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, updated_at__lt=cutoff)
        )
        for batch_id in list(expired.values_list("pk", flat=True)):
            # Conditional: a batch reopened meanwhile (retry, regenerate) is no longer expired.
            deleted, _ = expired.filter(pk=batch_id).delete()
            if deleted:
                result["batches"] += 1
                result["files"] += _delete_tree(batch_folder(batch_id))
        result["tasks"], _ = Task.objects.filter(stopped__lt=cutoff).delete()
    for name in _orphan_folders(now - ORPHAN_GRACE):
        result["files"] += _delete_tree(batch_folder(name))
        result["orphan_folders"] += 1
    if any(result.values()):
        logger.info("cleanup %s", " ".join(f"{k}={v}" for k, v in result.items()))
    return result


def _orphan_folders(older_than: datetime) -> list[str]:
    """Folders under batches/ that no batch owns and whose files are all older than that."""
    try:
        names, _ = default_storage.listdir(BATCH_FOLDER)
    except FileNotFoundError:
        return []
    ids = {}
    for name in names:
        with contextlib.suppress(ValueError):
            ids[uuid.UUID(name)] = name
    owned = set(Batch.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return [
        name
        for key, name in ids.items()
        if key not in owned and _newest_file(batch_folder(name)) < older_than
    ]


def _newest_file(path: str) -> datetime:
    folders, files = default_storage.listdir(path)
    times = [default_storage.get_modified_time(f"{path}/{name}") for name in files]
    times += [_newest_file(f"{path}/{name}") for name in folders]
    return max(times, default=datetime.min.replace(tzinfo=UTC))


def _delete_tree(path: str) -> int:
    """Delete every file under `path` in storage (local or S3); returns how many."""
    try:
        folders, files = default_storage.listdir(path)
    except FileNotFoundError:
        return 0
    for name in files:
        default_storage.delete(f"{path}/{name}")
    deleted = len(files) + sum(_delete_tree(f"{path}/{name}") for name in folders)
    # Local storage keeps empty folders; object storage has none to remove.
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(default_storage.path(path))
    return deleted

"""Asynchronous providers: an attempt waits for the provider's answer without a worker.

kie: the answer comes by webhook (generation/api/webhooks.py) or by polling
(generation.tasks.poll_async_attempts). Gemini's Batch API (options.delivery = "batch"): a
render attempt registers its request (`batch_request_register`) and waits; the collector
(generation.tasks.run_gemini_batches) packs the waiting requests of each batch into jobs of at
most 20 MB, polls them, and records every answer through `attempt_complete`, like kie's.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import NoReturn

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image

from generation.errors import InvalidInput
from generation.models import Batch, BatchApiRequest, Page, PageStatus, StepRun
from generation.pipeline.engine import StepOutput, store_output
from generation.providers import gemini_batch
from generation.providers.base import (
    ErrorKind,
    ImageRequest,
    ProviderError,
    ProviderPending,
)
from generation.providers.gemini_batch import GeminiBatchClient, JobStatus
from generation.providers.http import fit_image
from generation.providers.kie import KieOutcome
from generation.providers.registry import image_provider
from generation.selectors import attempts_pending
from generation.services.queue import pages_enqueue

logger = logging.getLogger("nanodeck.pipeline")


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


def attempts_poll() -> dict:
    """Ask kie (the one asynchronous provider) about attempts still pending after
    ASYNC_POLL_AFTER_SECONDS (their webhook did not come) and record the finished ones. A task
    kie does not know (or refuses to report) is recorded as failed; an unreachable kie is asked
    again on the next run."""
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


# Gemini's Batch API

MAX_BATCH_TRIES = 2  # a request whose job failed or expired goes once more into the next job
# A request row whose attempt is not waiting (its worker died between the two writes) is
# dropped after this long; younger ones may belong to an attempt being recorded right now.
_ORPHAN_AFTER = timedelta(minutes=10)


def batch_request_register(*, batch: Batch, request: ImageRequest, model: str) -> NoReturn:
    """Keep a render request for the next Batch API job of its batch; raises ProviderPending
    so that the engine records the attempt as waiting and the page lets its worker go."""
    key = f"nd-{uuid.uuid4().hex}"
    call = gemini_batch.request_call(model, request)
    BatchApiRequest.objects.create(
        key=key, batch=batch, model=model, body=call.body, image_size=call.image_size
    )
    raise ProviderPending("gemini", key, model=model)


def gemini_batches_run() -> dict:
    """Submit the requests gathered for GEMINI_BATCH_GATHER_SECONDS, then poll the open jobs
    and record the answers of the finished ones."""
    waiting = BatchApiRequest.objects.filter(job_name="")
    open_jobs = BatchApiRequest.objects.exclude(job_name="").exclude(
        job_state__in=gemini_batch.FINAL_STATES
    )
    result = {"submitted": 0, "jobs": 0, "polled": 0, "recorded": 0, "retried": 0}
    if not waiting.exists() and not open_jobs.exists():
        return result
    try:
        client = GeminiBatchClient()
    except ProviderError as exc:
        logger.warning("gemini_batches_skipped reason=%s", exc.message)
        return result
    _submit(client, result)
    _poll(client, result)
    logger.info("gemini_batches %s", " ".join(f"{k}={v}" for k, v in result.items()))
    return result


@transaction.atomic
def _submit(client: GeminiBatchClient, result: dict) -> None:
    """Send the gathered requests, one batch and model per job. The rows stay locked until
    their job is recorded, so a second collector running at the same time skips them."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.NANODECK["GEMINI_BATCH_GATHER_SECONDS"])
    rows = list(
        BatchApiRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(job_name="", created_at__lte=cutoff)
        .select_related("batch")
        .order_by("created_at", "pk")
    )
    waiting = set(
        StepRun.objects.filter(
            provider="gemini", external_state="pending", external_id__in=[row.key for row in rows]
        ).values_list("external_id", flat=True)
    )
    groups: dict[tuple, list[BatchApiRequest]] = defaultdict(list)
    stale = []
    for row in rows:
        if row.key in waiting and not row.batch.is_final:
            groups[(row.batch_id, row.model)].append(row)
        elif row.batch.is_final or row.created_at < now - _ORPHAN_AFTER:
            stale.append(row.pk)  # its attempt ended (or was never recorded): nobody waits
    BatchApiRequest.objects.filter(pk__in=stale).delete()
    for (_, model), group in groups.items():
        _submit_group(client, model, group, result)


def _submit_group(
    client: GeminiBatchClient, model: str, rows: list[BatchApiRequest], result: dict
) -> None:
    """One batch's waiting requests for one model, in as many jobs as 20 MB allows."""
    batch = rows[0].batch
    try:
        parts = gemini_batch.reference_parts(model, _references(batch))
        entries = [
            {
                "request": gemini_batch.with_references(row.body, parts),
                "metadata": {"key": row.key},
            }
            for row in rows
        ]
        jobs = gemini_batch.pack(entries)
    except ProviderError as exc:
        for row in rows:
            _record(row, error=exc)
        return
    for number, entries in enumerate(jobs, 1):
        keys = [entry["metadata"]["key"] for entry in entries]
        try:
            job = client.create(
                model=model, display_name=f"nanodeck {batch.pk} {number}", entries=entries
            )
        except ProviderError as exc:
            if exc.retryable:  # the requests stay waiting for the next run
                continue
            for row in rows:
                if row.key in keys:
                    _record(row, error=exc)
            continue
        BatchApiRequest.objects.filter(key__in=keys).update(
            job_name=job.name, job_state=job.state, submitted_at=timezone.now()
        )
        result["jobs"] += 1
        result["submitted"] += len(keys)


def _references(batch: Batch) -> list[bytes]:
    refs = []
    for ref in batch.template_snapshot.get("reference_images", []):
        with default_storage.open(ref["path"], "rb") as handle:
            refs.append(handle.read())
    return refs


def _poll(client: GeminiBatchClient, result: dict) -> None:
    jobs = (
        BatchApiRequest.objects.exclude(job_name="")
        .exclude(job_state__in=gemini_batch.FINAL_STATES)
        .values_list("job_name", "model")
        .distinct()
    )
    for name, model in list(jobs):
        try:
            job = client.get(name, model=model)
        except ProviderError as exc:
            if exc.kind != ErrorKind.INVALID_REQUEST:
                continue  # asked again on the next run
            job = JobStatus(name=name, state=gemini_batch.FAILED, error=exc.message)
        result["polled"] += 1
        BatchApiRequest.objects.filter(job_name=name).update(job_state=job.state)
        if job.final:
            _job_record(job, result)


@transaction.atomic
def _job_record(job: JobStatus, result: dict) -> None:
    """Record the answer of every request of a finished job; a retryable error sends the
    request into the next job while it has tries left."""
    rows = (
        BatchApiRequest.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(job_name=job.name)
        .select_related("batch")
    )
    for row in rows:
        answer = job.answers.get(row.key) or gemini_batch.Answer(error=_job_error(job))
        if answer.image is not None:
            result["recorded"] += _record(row, answer=answer)
        elif answer.error.retryable and row.tries < MAX_BATCH_TRIES:
            row.job_name, row.job_state, row.tries = "", "", row.tries + 1
            row.save(update_fields=["job_name", "job_state", "tries"])
            result["retried"] += 1
        else:
            result["recorded"] += _record(row, error=answer.error, usage=answer.usage)


def _job_error(job: JobStatus) -> ProviderError:
    said = f": {job.error}" if job.error else ""
    if job.state == gemini_batch.SUCCEEDED:
        return ProviderError(
            ErrorKind.TRANSIENT, f"Gemini's batch job {job.name} gave no answer for this page"
        )
    if job.state == gemini_batch.CANCELLED:
        return ProviderError(
            ErrorKind.INVALID_REQUEST, f"Gemini's batch job {job.name} was cancelled{said}"
        )
    words = "expired before it finished" if job.state == gemini_batch.EXPIRED else "failed"
    return ProviderError(ErrorKind.TRANSIENT, f"Gemini's batch job {job.name} {words}{said}")


def _record(
    row: BatchApiRequest,
    *,
    answer: gemini_batch.Answer | None = None,
    error: ProviderError | None = None,
    usage: dict | None = None,
) -> bool:
    if answer is None or answer.image is None:
        _, changed = attempt_complete(
            provider="gemini", task_id=row.key, error=error, usage=usage or {}
        )
        return changed
    batch = row.batch
    _, changed = attempt_complete(
        provider="gemini",
        task_id=row.key,
        image=fit_image(answer.image, batch.size),
        usage=answer.usage,
        cost_usd=gemini_batch.batch_price(
            model=row.model,
            image_size=row.image_size,
            input_images=len(batch.template_snapshot.get("reference_images", [])),
        ),
    )
    return changed


def batch_jobs_cancel(*, batch_id: object) -> int:
    """A cancelled batch's Batch API work stops: requests not yet sent are dropped, open jobs
    get `:cancel`, and its waiting attempts end. Returns how many jobs were cancelled."""
    rows = BatchApiRequest.objects.filter(batch_id=batch_id)
    rows.filter(job_name="").delete()
    names = list(
        rows.exclude(job_state__in=gemini_batch.FINAL_STATES)
        .values_list("job_name", flat=True)
        .distinct()
    )
    cancelled = 0
    for name in names:
        try:
            GeminiBatchClient().cancel(name)
        except ProviderError as exc:
            logger.warning("gemini_batch_cancel_failed job=%s error=%s", name, exc.message)
            continue
        rows.filter(job_name=name).update(job_state=gemini_batch.CANCELLED)
        cancelled += 1
    StepRun.objects.filter(batch_id=batch_id, provider="gemini", external_state="pending").update(
        external_state="failed",
        error_kind=ErrorKind.INVALID_REQUEST.value,
        error_message="cancelled with its batch",
        finished_at=timezone.now(),
    )
    logger.info("gemini_batch_jobs_cancelled batch=%s jobs=%s", batch_id, cancelled)
    return cancelled

"""Workflows over several models: create a batch, run it, run a page. Views, commands and
tasks all call these; nothing else changes batch or page state."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django_q.tasks import async_task

from generation.engine import StepContext, run_step
from generation.errors import InvalidInput, StepFailed, StepHeld
from generation.models import Batch, BatchStatus, Page, PageStatus
from generation.providers.registry import provider_names
from generation.slides import parse_size
from generation.steps import BATCH_STEPS, PAGE_STEPS, load_theme
from templates_app.models import SlideTemplate
from templates_app.services import template_snapshot

logger = logging.getLogger("nanodeck.pipeline")

QUALITIES = ("standard", "hd")
LANGUAGES = ("auto", "zh", "en")


def batch_options(options: dict | None) -> dict:
    """Validate and complete a batch's options; errors name the option."""
    options = dict(options or {})
    known = {"size", "quality", "language", "provider", "text_provider"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise InvalidInput(f"unknown option(s): {', '.join(unknown)}", details={"options": unknown})
    config = settings.NANODECK
    result = {
        "size": options.get("size") or config["DEFAULT_SIZE"],
        "quality": options.get("quality") or "standard",
        "language": options.get("language") or "auto",
        "provider": options.get("provider") or config["DEFAULT_PROVIDER"],
        "text_provider": options.get("text_provider") or "local",
    }
    try:
        parse_size(result["size"])
    except ValueError as exc:
        raise InvalidInput(str(exc), details={"size": result["size"]}) from None
    for key, allowed in (("quality", QUALITIES), ("language", LANGUAGES)):
        if result[key] not in allowed:
            raise InvalidInput(
                f"{key} must be one of {', '.join(allowed)}", details={key: result[key]}
            )
    for key in ("provider", "text_provider"):
        if result[key] not in provider_names():
            names = ", ".join(provider_names())
            raise InvalidInput(
                f"unknown {key} '{result[key]}' (available: {names})", details={key: result[key]}
            )
    return result


@transaction.atomic
def batch_create(
    *,
    owner=None,
    template: SlideTemplate,
    outline: str,
    title: str = "",
    options: dict | None = None,
) -> Batch:
    outline = (outline or "").strip()
    if not outline:
        raise InvalidInput("the outline is empty", details={"outline": "empty"})
    limit = settings.NANODECK["MAX_OUTLINE_CHARS"]
    if len(outline) > limit:
        raise InvalidInput(f"the outline has {len(outline)} characters; the limit is {limit}")
    if not template.is_active:
        raise InvalidInput(f"template '{template.slug}' is not active")
    batch = Batch(
        owner=owner,
        template=template,
        outline=outline,
        title=title[:300],
        options=batch_options(options),
    )
    batch.template_snapshot = template_snapshot(template=template, copy_to=f"batches/{batch.pk}")
    batch.full_clean()
    batch.save()
    logger.info("batch_created batch=%s template=%s", batch.pk, template.slug)
    return batch


def batch_enqueue(*, batch: Batch) -> None:
    """Queue the batch for a worker once the surrounding transaction has committed."""
    transaction.on_commit(
        lambda: async_task(
            "generation.tasks.run_batch", str(batch.pk), task_name=f"batch {batch.pk}"
        )
    )


def batch_plan(*, batch: Batch) -> Batch:
    """Run the batch-level steps (outline, plan); afterwards the batch has its pages."""
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.PLANNING, started_at=timezone.now())
    batch.refresh_from_db()
    ctx = StepContext(batch=batch)
    try:
        for step in BATCH_STEPS.values():
            run_step(step, ctx)
    except (StepFailed, StepHeld) as exc:
        batch.status, batch.error, batch.finished_at = (
            BatchStatus.FAILED,
            exc.message,
            timezone.now(),
        )
        batch.save(update_fields=["status", "error", "finished_at", "updated_at"])
        return batch
    batch.status = BatchStatus.RUNNING
    batch.save(update_fields=["status", "updated_at"])
    return batch


def page_run(*, page: Page, from_step: str = "describe", instruction: str = "") -> Page:
    """Run the page's steps from `from_step` on; the page ends completed, held or failed."""
    names = list(PAGE_STEPS)
    if from_step not in names:
        raise InvalidInput(f"from_step must be one of {', '.join(names)}")
    batch = page.batch
    ctx = StepContext(
        batch=batch, page=page, theme=load_theme(batch.template_snapshot), instruction=instruction
    )
    page.status, page.started_at, page.error = PageStatus.RUNNING, timezone.now(), ""
    page.save(update_fields=["status", "started_at", "error"])
    try:
        for name in names[names.index(from_step) :]:
            page.current_step = name
            page.save(update_fields=["current_step"])
            run_step(PAGE_STEPS[name], ctx)
            ctx.instruction = ""  # the instruction is for the step it was given to
    except StepHeld as exc:
        page.status, page.error = PageStatus.HELD, exc.message
    except StepFailed as exc:
        page.status, page.error = PageStatus.FAILED, exc.message
    else:
        page.status = PageStatus.COMPLETED
    page.finished_at = timezone.now()
    page.save(update_fields=["status", "error", "finished_at"])
    logger.info("page_finished batch=%s page=%s status=%s", batch.pk, page.index, page.status)
    return page


def batch_refresh(*, batch: Batch) -> Batch:
    """Recount the pages and derive the batch status from them."""
    counts = batch.pages.aggregate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=PageStatus.COMPLETED)),
        failed=Count("id", filter=Q(status=PageStatus.FAILED)),
        open=Count(
            "id", filter=Q(status__in=[PageStatus.PENDING, PageStatus.RUNNING, PageStatus.HELD])
        ),
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
    """The whole pipeline, synchronously, in this process (the CLI and tests use it)."""
    batch_plan(batch=batch)
    if batch.status != BatchStatus.RUNNING:
        return batch
    for page in batch.pages.order_by("index"):
        page_run(page=page)
    return batch_refresh(batch=batch)

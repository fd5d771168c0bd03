"""A batch's life: create, queue, plan, run synchronously, cancel, retry, refresh its status.

Views, admin actions, commands and tasks call these; nothing else changes a batch's state.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from generation.errors import Conflict, InvalidInput, ProviderWaiting, StepFailed, StepHeld
from generation.events.publish import batch_changed
from generation.models import Batch, BatchStatus, Page, PageStatus, StepRun
from generation.options import BatchOptions
from generation.pipeline.engine import Step, StepContext, run_step
from generation.pipeline.steps import BATCH_STEPS
from generation.planning.outline import OutlineError, parse_outline
from generation.planning.planner import compose_pages
from generation.render.fit import fit_measure, template_fonts
from generation.services.async_attempts import batch_jobs_cancel
from generation.services.batch_images import batch_images_prepare, batch_images_store
from generation.services.credit_charges import credits_settle, deck_charge
from generation.services.credits import reserve_for_batch
from generation.services.pages import page_claim, page_run, worker_id
from generation.services.queue import PLAN_TASK, broker_check, pages_enqueue, tasks_send
from generation.services.uploads import uploads_as_files, uploads_mark_used, uploads_resolve
from generation.status_words import status_word
from templates_app.models import SlideTemplate
from templates_app.services import template_snapshot

logger = logging.getLogger("nanodeck.pipeline")

SYNC_WAIT_SECONDS = 0.5  # a synchronous run polls this often for pages other workers hold


def outline_check_size(
    *,
    outline: str,
    size: tuple[int, int] | None = None,
    ending: bool = True,
    fonts: tuple[str, str] = ("", ""),
) -> None:
    """Refuse an outline that makes more slides than MAX_PAGES_PER_BATCH, before anything is
    stored. The local planner counts them as the plan step makes them at the fewest: no item
    limit per page, but with the continuation pages text needs on slides of `size` (the plan
    step's second attempt plans exactly these, so an accepted outline is never refused later
    for its continuation pages). A brief it cannot read is left to the text model, whose plan
    is held to the same limit by the plan step. `ending` counts the closing page (on by
    default, as the option is); `fonts` are the template's (title, body) fonts the text is
    measured in."""
    try:
        structured = parse_outline(outline)
    except OutlineError:
        return
    limit = settings.NANODECK["MAX_PAGES_PER_BATCH"]
    slides = len(compose_pages(structured, max_items_per_page=None, ending=ending))
    if size and slides <= limit:  # measured only when worth it: at most `limit` pages
        fits = fit_measure(size, fonts)
        slides = len(compose_pages(structured, max_items_per_page=None, fits=fits, ending=ending))
    if slides > limit:
        raise InvalidInput(
            _(
                "the outline makes %(slides)s slides; the limit is %(limit)s "
                "(MAX_PAGES_PER_BATCH): split it into several decks"
            )
            % {"slides": slides, "limit": limit},
            details={"outline": "too many slides"},
        )


@transaction.atomic
def batch_create(
    *,
    owner: AbstractBaseUser | None = None,
    template: SlideTemplate,
    outline: str,
    title: str = "",
    options: dict | None = None,
    enqueue: bool = False,
    logo: File | None = None,
    reference_images: list[File] | None = None,
    references: list | None = None,
    payer: AbstractBaseUser | None = None,
) -> Batch:
    """Create a batch; with `enqueue`, a worker plans and runs it once this commits.

    `logo`, `reference_images` (photos) and `references` (ids of the owner's uploads, photos
    too) are the batch's own images, held to the template image caps
    (generation/services/batch_images.py). `payer` (the API's user) is charged what the deck
    can cost (services/credit_charges.py): InsufficientCredits (402) stores nothing. Without a
    payer (the command line) nothing is charged."""
    outline = _outline_clean(outline)
    parsed = BatchOptions.parse(options)
    outline_check_size(
        outline=outline,
        size=parsed.dimensions,
        ending=parsed.ending,
        fonts=template_fonts(template.fonts),
    )
    if not template.is_active:
        raise InvalidInput(
            _("template '%(slug)s' is not active") % {"slug": template.slug},
            details={"template": template.slug},
        )
    fonts = template_fonts(template.fonts)
    charge = deck_charge(payer=payer, outline=outline, options=parsed, fonts=fonts)
    batch = Batch(
        owner=owner,
        template=template,
        outline=outline,
        title=title[:300],
        options=parsed.as_json(),
    )
    # Everything is checked before the template's images and the batch's own are copied into
    # the batch's folder, so a refused request leaves no file behind.
    batch.full_clean(exclude=["template_snapshot", "reference_images"])
    chosen = uploads_resolve(owner=owner, ids=list(references or []))
    photos = [*(reference_images or []), *uploads_as_files(chosen)]
    uploads = batch_images_prepare(logo=logo, photos=photos)
    _batch_save_with_images(
        batch=batch, template=template, uploads=uploads, payer=payer, charge=charge
    )
    uploads_mark_used(uploads=chosen)
    logger.info("batch_created batch=%s template=%s", batch.pk, template.slug)
    if enqueue:
        batch_enqueue(batch=batch)
    return batch


def _outline_clean(outline: str) -> str:
    """The outline without surrounding blanks; an empty one or one over MAX_OUTLINE_CHARS is
    refused."""
    outline = (outline or "").strip()
    if not outline:
        raise InvalidInput(_("the outline is empty"), details={"outline": "empty"})
    limit = settings.NANODECK["MAX_OUTLINE_CHARS"]
    if len(outline) > limit:
        raise InvalidInput(
            _("the outline has %(chars)s characters; the limit is %(limit)s")
            % {"chars": len(outline), "limit": limit},
            details={"outline": "too long"},
        )
    return outline


def _batch_save_with_images(
    *,
    batch: Batch,
    template: SlideTemplate,
    uploads: list[tuple[str, File]],
    payer: AbstractBaseUser | None,
    charge: int,
) -> None:
    """Copy the template's images and the batch's own (`uploads`, prepared) into the batch's
    folder, save the batch and reserve `charge` credits of `payer`; when any of it fails, the
    copied files are deleted again and the error goes on."""
    folder = f"batches/{batch.pk}"
    batch.template_snapshot = template_snapshot(template=template, copy_to=folder)
    try:
        batch.reference_images = batch_images_store(images=uploads, copy_to=folder)
        batch.save()
        reserve_for_batch(batch=batch, user=payer, amount=charge, key=f"reserve:batch:{batch.pk}")
    except Exception:
        for image in [*batch.template_snapshot["reference_images"], *batch.reference_images]:
            default_storage.delete(image["path"])
        raise


def batch_enqueue(*, batch: Batch) -> None:
    """Queue the batch's planning for a worker once the surrounding transaction has committed.

    Raises BrokerUnavailable, before anything commits, when the queue does not answer; a send
    that fails after the commit leaves the batch to the sweeper (see `tasks_send`).
    """
    broker_check()
    now = timezone.now()
    Batch.objects.filter(pk=batch.pk).update(queued_at=now)
    batch.queued_at = now
    transaction.on_commit(lambda: tasks_send(func=PLAN_TASK, ids=[str(batch.pk)], label="plan"))


def batch_claim(*, batch_id: str) -> Batch | None:
    """Take a pending batch for planning (a conditional UPDATE: pending → planning); None when
    it is not pending (another worker has it, it ran already) or gone."""
    if not Batch.objects.filter(pk=batch_id, status=BatchStatus.PENDING).update(
        status=BatchStatus.PLANNING
    ):
        return None
    return Batch.objects.get(pk=batch_id)


def batch_abandon(*, batch_id: str, claimed: bool) -> bool:
    """A stopping worker hands back a batch: one it was planning (`claimed`), or whose planning
    task it got but did not start. Pending again and queued; finished planning steps are kept.
    False when the batch was not in that state."""
    status = BatchStatus.PLANNING if claimed else BatchStatus.PENDING
    with transaction.atomic():
        if not Batch.objects.filter(pk=batch_id, status=status).update(status=BatchStatus.PENDING):
            return False
        batch_enqueue(batch=Batch(pk=batch_id))
    logger.info("batch_handed_back batch=%s", batch_id)
    return True


def _run_waiting_for_provider(step: Step, ctx: StepContext) -> None:
    """Batch-level steps have no page to put back in the queue: wait here for the provider's
    circuit, up to half the task timeout, then fail with the reason."""
    deadline = time.monotonic() + settings.Q_CLUSTER["timeout"] / 2
    while True:
        try:
            run_step(step, ctx)
            return
        except ProviderWaiting as exc:
            wait = max(0.5, (exc.until - timezone.now()).total_seconds())
            if time.monotonic() + wait > deadline:
                raise StepFailed(
                    f"{step.name}: provider {exc.provider} is unavailable (circuit open)"
                ) from None
            time.sleep(wait)


def batch_plan(*, batch: Batch) -> Batch:
    """Run the batch-level steps that have no selected output yet; afterwards the batch has pages.

    Safe to run twice: a step already done is skipped, so a re-delivered task plans nothing again.
    """
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.PLANNING, started_at=timezone.now())
    batch.refresh_from_db()
    ctx = StepContext(batch=batch)
    try:
        for step in BATCH_STEPS.values():
            done = StepRun.objects.batch_level().selected().filter(batch=batch, step=step.name)
            if not done.exists():
                _run_waiting_for_provider(step, ctx)
    except (StepFailed, StepHeld) as exc:
        batch.fail(exc.message)
    except Exception as exc:  # a bug or an outage fails the batch instead of leaving it planning
        logger.exception("plan_crashed batch=%s", batch.pk)
        batch.fail(f"internal error while planning: {type(exc).__name__}: {exc}"[:2000])
    else:
        paused = batch.opts.pause_after == "plan"
        batch.status = BatchStatus.AWAITING_APPROVAL if paused else BatchStatus.RUNNING
        batch.save(update_fields=["status", "updated_at"])
    credits_settle(batch=batch)  # the estimate's surplus (or, failed, everything) goes back
    batch_changed(batch.pk)
    return batch


@transaction.atomic
def batch_approve(*, batch: Batch) -> Batch:
    """Someone approved the plan of a batch that paused after planning: its pages go to the
    workers. Raises Conflict for a batch that is not awaiting approval."""
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.AWAITING_APPROVAL:
        raise Conflict(
            _(
                "the batch is %(status)s; only a batch awaiting approval (options.pause_after) "
                "can be approved"
            )
            % {"status": status_word(batch.status)}
        )
    batch.status = BatchStatus.RUNNING
    batch.save(update_fields=["status", "updated_at"])
    batch_changed(batch.pk)
    pages_enqueue(
        page_ids=list(batch.pages.filter(status=PageStatus.PENDING).values_list("pk", flat=True))
    )
    return batch


@transaction.atomic
def batch_refresh(*, batch: Batch) -> Batch:
    """Recount the pages under a row lock and derive the batch status from them."""
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    counts = batch.pages.aggregate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=PageStatus.COMPLETED)),
        failed=Count("id", filter=Q(status=PageStatus.FAILED)),
        open=Count("id", filter=Q(status__in=Page.OPEN_STATUSES)),
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
        batch_changed(batch.pk)
    batch.save(update_fields=fields)
    credits_settle(batch=batch)
    return batch


def batch_run(*, batch: Batch) -> Batch:
    """The whole pipeline, synchronously, in this process (the CLI and tests use it).

    Pages are claimed with a lease like a worker's: workers running meanwhile (the sweeper
    queues pages nobody has claimed) never generate a page a second time. A page a worker
    holds is left to it, and this waits for it, so the batch is final on return (or has
    only pages held for review or waiting for a provider).
    """
    batch = batch_plan(batch=batch)
    if batch.status != BatchStatus.RUNNING:
        return batch
    worker = worker_id()
    while True:
        claimable = _claimable_pages(batch)
        for page_id in claimable:
            page = page_claim(page_id=page_id, worker=worker)
            if page is not None:
                page_run(page=page, worker=worker, claimed=True)
        if not claimable:
            if not batch.pages.filter(status=PageStatus.RUNNING).exists():
                break
            time.sleep(SYNC_WAIT_SECONDS)  # another worker holds a page: wait for it
    return batch_refresh(batch=batch)


def _claimable_pages(batch: Batch) -> list[int]:
    """Pages of a running batch that nobody holds: pending (and not waiting for a provider)
    or running under an expired lease."""
    pages = (
        Page.objects.in_running_batches()
        .filter(batch=batch)
        .claimable(timezone.now())
        .exclude(status=PageStatus.PENDING, waiting_for__gt="")
    )
    return list(pages.order_by("index").values_list("pk", flat=True))


@transaction.atomic
def batch_cancel(*, batch: Batch) -> Batch:
    """Stop scheduling new work; calls in flight finish and their pages end cancelled."""
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.is_final:
        raise Conflict(_("the batch is already %(status)s") % {"status": status_word(batch.status)})
    batch.pages.filter(status__in=[PageStatus.PENDING, PageStatus.HELD]).update(
        status=PageStatus.CANCELLED, finished_at=timezone.now()
    )
    batch.status, batch.finished_at = BatchStatus.CANCELLED, timezone.now()
    batch.save(update_fields=["status", "finished_at", "updated_at"])
    batch_changed(batch.pk)
    if batch.opts.delivery == "batch":  # its Gemini Batch API jobs stop too
        batch_id = batch.pk
        transaction.on_commit(lambda: batch_jobs_cancel(batch_id=batch_id))
    credits_settle(batch=batch)
    logger.info("batch_cancelled batch=%s", batch.pk)
    return batch


@transaction.atomic
def batch_retry_failed(*, batch: Batch) -> int:
    """Queue every failed page again from the step it failed at; returns how many."""
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == BatchStatus.CANCELLED:
        raise Conflict(_("the batch was cancelled; create a new one"))
    failed = list(batch.pages.filter(status=PageStatus.FAILED).values_list("pk", flat=True))
    if not failed:
        raise Conflict(_("the batch has no failed page to retry"))
    batch.pages.filter(pk__in=failed).update(status=PageStatus.PENDING, error="", finished_at=None)
    batch.reopen()
    pages_enqueue(page_ids=failed)
    batch_refresh(batch=batch)
    return len(failed)

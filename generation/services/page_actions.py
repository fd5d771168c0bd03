"""What people do to a page: regenerate it, bring back one of its earlier images, flag it,
and let a page held for review go on (release) or fail (reject)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from generation.errors import Conflict, InvalidInput
from generation.models import BatchStatus, Page, PageStatus, Step, StepRun
from generation.pipeline.engine import StepContext, output_select
from generation.pipeline.steps import PAGE_STEPS, page_steps
from generation.services.batches import batch_refresh
from generation.services.page_edits import deck_lock, sections_follow
from generation.services.queue import pages_enqueue
from generation.services.regeneration import plan_with_edits, regeneration_request
from generation.signals import attempts_for_review
from generation.status_words import status_word

FLAGGABLE_STEPS = ("describe", "render")  # page steps whose output people judge


@transaction.atomic
def page_regenerate(
    *,
    page: Page,
    from_step: str = "describe",
    instruction: str = "",
    source: str = "",
    mode: str | None = None,
    edits: dict | None = None,
) -> Page:
    """Run the page again from `from_step`. An image model takes an instruction (for that step
    and for the image: `mode` refine edits the page's image, redraw draws a new one); the local
    renderer takes `edits` (see services/regeneration.py). `source` names who asked (e.g.
    "user:7", "evaluation:42"); the new attempts carry it. Nothing changes on a 4xx."""
    if from_step not in PAGE_STEPS:
        raise InvalidInput(
            f"from_step must be one of {', '.join(PAGE_STEPS)}",
            details={"from_step": from_step},
        )
    if edits and "title" in edits:  # a section's new title shows on the contents page too
        deck_lock(page.batch)
    page = page_lock_for_change(page, gettext_noop("regenerated"))
    if page.kind == "image":  # drawn from its prompt: no plan to describe or edit
        from_step = Step.RENDER if from_step == Step.DESCRIBE else from_step
        if edits:
            raise InvalidInput(
                "a single image takes no edits: create another image, or regenerate it "
                "with an instruction (image models)",
                details={"edits": "not for a single image"},
            )
    request = regeneration_request(
        page=page,
        from_step=from_step,
        mode=mode,
        instruction=instruction,
        edits=edits,
        source=source,
    )
    before = page.plan
    if request.get("edits"):
        page.plan = plan_with_edits(page.plan, request["edits"])
    page.instruction = instruction
    page.instruction_source = source if instruction else ""
    page.regeneration = request
    page.save(update_fields=["instruction", "instruction_source", "regeneration", "plan"])
    page = page_requeue(page, from_step=from_step)
    if page.plan.get("title") != before.get("title"):
        sections_follow(page=page, before=before)
    return page


@transaction.atomic
def page_version_select(*, page: Page, run: StepRun) -> Page:
    """Make one of the page's images (an attempt of its render step, perhaps an earlier and
    better one) the page's image again: the finish step publishes it, in a worker as for a
    regeneration, and exports follow."""
    if run.page_id != page.pk or run.step != Step.RENDER or run.error_kind or not run.output_image:
        raise InvalidInput(
            f"step run {run.pk} is not one of this page's images (see its versions)",
            details={"run": run.pk},
        )
    drawn = run.output_data.get("plan")  # absent on versions drawn before it was kept
    if drawn and drawn.get("title") != page.plan.get("title"):
        deck_lock(page.batch)
    page = page_lock_for_change(page, gettext_noop("given another version"))
    if page.status == PageStatus.HELD:
        raise Conflict(
            _("the page is held for review at %(step)s; accept an attempt in review")
            % {"step": page.resume_step}
        )
    output_select(page_steps(page.batch)["render"], StepContext(batch=page.batch, page=page), run)
    before = page.plan
    if drawn and drawn != before:  # the page's text is the text its image shows
        page.plan, page.title = drawn, drawn.get("title", page.title)[:300]
        page.save(update_fields=["plan", "title"])
    page = page_requeue(page, from_step="finish")
    if page.plan.get("title") != before.get("title"):
        sections_follow(page=page, before=before)
    return page


def page_lock_for_change(page: Page, what: str) -> Page:
    """The page, locked (call inside a transaction), once nothing else is changing it: Conflict
    while it runs or its batch is not running or done. `what` completes "pages can be …"."""
    page = Page.objects.select_for_update().select_related("batch").get(pk=page.pk)
    if page.batch.status in (
        BatchStatus.CANCELLED,
        BatchStatus.PENDING,
        BatchStatus.PLANNING,
        BatchStatus.AWAITING_APPROVAL,
    ):
        raise Conflict(
            _("the batch is %(status)s; pages can be %(what)s once it is running or done")
            % {"status": status_word(page.batch.status), "what": _(what)}
        )
    if page.status == PageStatus.RUNNING:
        raise Conflict(_("the page is being generated right now; try again when it has finished"))
    return page


def page_requeue(page: Page, *, from_step: str) -> Page:
    """Send a locked page back to the workers from `from_step`; its batch runs again."""
    page.status, page.resume_step, page.error = PageStatus.PENDING, from_step, ""
    page.finished_at = None
    page.save(update_fields=["status", "resume_step", "error", "finished_at"])
    page.batch.reopen()
    pages_enqueue(page_ids=[page.pk])
    batch_refresh(batch=page.batch)
    return page


def _held_page(page: Page, step_run: StepRun) -> Page:
    page = Page.objects.select_for_update().select_related("batch").get(pk=page.pk)
    if page.status != PageStatus.HELD or page.resume_step != step_run.step:
        raise Conflict(
            f"the page is not held at {step_run.step} (it is {page.status}"
            f"{' at ' + page.resume_step if page.resume_step else ''})"
        )
    if step_run.page_id != page.pk or not step_run.round_closed or step_run.error_kind:
        raise Conflict("that attempt is not one of the held round's outputs")
    return page


@transaction.atomic
def page_release(*, page: Page, step_run: StepRun) -> Page:
    """A page held for review goes on with `step_run` (an attempt of the held step, chosen by
    people, not necessarily the one the engine preferred) from the following step."""
    page = _held_page(page, step_run)
    if not step_run.selected:
        ctx = StepContext(batch=page.batch, page=page)
        output_select(page_steps(ctx.batch)[step_run.step], ctx, step_run)
    page.resume_step = Page.step_after(step_run.step)
    page.error = ""
    if page.resume_step:
        page.status = PageStatus.PENDING
        page.current_step = page.resume_step
        pages_enqueue(page_ids=[page.pk])
    else:
        page.status, page.finished_at = PageStatus.COMPLETED, timezone.now()
    page.save(update_fields=["status", "resume_step", "current_step", "error", "finished_at"])
    batch_refresh(batch=page.batch)
    return page


@transaction.atomic
def page_reject(*, page: Page, step_run: StepRun, reason: str) -> Page:
    """People found none of the held round's outputs usable: the page fails with their
    reason (retry-failed or regenerate takes it up again)."""
    page = _held_page(page, step_run)
    page.status, page.finished_at = PageStatus.FAILED, timezone.now()
    page.error = f"rejected in review at {step_run.step}: {reason}"[:2000]
    page.save(update_fields=["status", "error", "finished_at"])
    batch_refresh(batch=page.batch)
    return page


@transaction.atomic
def page_flag(*, page: Page, reason: str, step: str = "render") -> StepRun:
    """Someone saw something wrong with a page: its selected output of `step` is sent to
    human review with the reason, and the page is marked flagged."""
    if step not in FLAGGABLE_STEPS:
        raise InvalidInput(
            f"step must be one of {', '.join(FLAGGABLE_STEPS)}", details={"step": step}
        )
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("say what is wrong: a flag needs a reason"), details={"reason": ""})
    page = Page.objects.select_for_update().get(pk=page.pk)
    run = StepRun.objects.selected().filter(page=page, step=step).first()
    if run is None:
        raise Conflict(
            _("the page has no %(step)s output yet; flag it once that step has run")
            % {"step": step}
        )
    page.flagged, page.flag_reason = True, reason[:300]
    page.save(update_fields=["flagged", "flag_reason"])
    transaction.on_commit(
        lambda: attempts_for_review.send(
            sender=StepRun, runs=[run], reason="flagged", held=False, note=reason
        )
    )
    return run

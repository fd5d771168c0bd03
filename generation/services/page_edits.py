"""What people change in a deck's pages: a page's content (title, subtitle, items, layout),
pages added at an index, deleted and moved.

The contents page and the section numbers follow every change: the sections are the pages
that open one (a transition page, or a content page titled as its section, as the planner
makes them), numbered in page order, and the contents page lists their titles. A page whose
text changes runs again from describe (from render when only its layout changed); in a batch
awaiting approval it only gets its new plan, and nothing runs before the approval.

Every change locks the batch and its pages first, and is refused (Conflict) while a page
whose content it changes is being generated, or while the batch is pending, planning or
cancelled. A page's position is not its content: moving a running page is allowed (a worker
never reads the index).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from generation.errors import Conflict, InvalidInput
from generation.models import PAGE_STEPS, Batch, BatchStatus, Page, PageStatus
from generation.planning.plan_changes import (
    PLAN_FIELDS,
    changes_checked,
    opens_section,
    sections_numbered,
)
from generation.planning.planner import infer_semantics
from generation.render.fit import page_fits
from generation.render.layouts import CONTENT_LAYOUTS
from generation.services.batches import batch_refresh
from generation.services.queue import pages_enqueue
from generation.status_words import status_word

logger = logging.getLogger("nanodeck.pipeline")

EDITABLE_BATCHES = (
    BatchStatus.AWAITING_APPROVAL,
    BatchStatus.RUNNING,
    BatchStatus.COMPLETED,
    BatchStatus.PARTIAL,
    BatchStatus.FAILED,
)
LAYOUT_CHOICES = ("auto", *CONTENT_LAYOUTS)
_SHIFT = 1_000_000  # indexes are moved out of the way before they are set (unique per batch)


@dataclass
class _Rerun:
    page: Page
    plan: dict
    from_step: str


@transaction.atomic
def page_edit(*, page: Page, changes: dict) -> Page:
    """Change a page's title, subtitle, items or layout; it runs again from describe (from
    render when only the layout changed). Changing a section's title renames it on the
    contents page."""
    batch, pages = _lock(page.batch, gettext_noop("edited"))
    before = [p.plan for p in pages]
    page = next(p for p in pages if p.pk == page.pk)
    _refuse_running([page])
    plan = page_plan_edited(page=page, changes=changes, pages=pages)
    if plan == page.plan:
        return page
    only_layout = all(plan.get(key) == page.plan.get(key) for key in PLAN_FIELDS[:3])
    page.plan = plan
    reruns = [_Rerun(page, plan, "render" if only_layout else "describe")]
    reruns += _sections_refresh(pages, before, batch)
    _apply(batch, reruns)
    logger.info("page_edited batch=%s page=%s fields=%s", batch.pk, page.pk, sorted(changes))
    return page


@transaction.atomic
def page_insert(*, batch: Batch, index: int, plan: dict) -> Page:
    """Add a content page at `index` (1 = first, one past the last page = at the end), planned
    as the planner plans a content page: in the section it lands in, with its semantics."""
    batch, pages = _lock(batch, gettext_noop("added"))
    limit = settings.NANODECK["MAX_PAGES_PER_BATCH"]
    if len(pages) >= limit:
        raise Conflict(
            _(
                "the deck has %(count)s slides, the limit (MAX_PAGES_PER_BATCH); "
                "delete a page first or start another deck"
            )
            % {"count": len(pages)}
        )
    if not 1 <= index <= len(pages) + 1:
        raise InvalidInput(
            _("index must be from 1 to %(last)s (the deck has %(count)s pages)")
            % {"last": len(pages) + 1, "count": len(pages)},
            details={"index": index},
        )
    if not str(plan.get("title", "")).strip():
        raise InvalidInput(_("a page needs a title"), details={"title": "required"})
    before = pages[: index - 1]
    new_plan = _content_plan(
        changes_checked(plan, kind="content", layouts=LAYOUT_CHOICES), before, pages[0].plan
    )
    _check_fits(new_plan, batch)
    _shift(pages[index - 1 :])  # out of the way first: the new page takes its index at once
    page = Page.objects.create(
        batch=batch, index=index, kind="content", title=new_plan["title"], plan=new_plan
    )
    order = [*before, page, *pages[index - 1 :]]
    _renumber(order)
    _apply(
        batch,
        [
            _Rerun(page, new_plan, "describe"),
            *_sections_refresh(order, [p.plan for p in pages], batch),
        ],
    )
    logger.info("page_added batch=%s page=%s index=%s", batch.pk, page.pk, index)
    return page


@transaction.atomic
def page_delete(*, page: Page) -> None:
    """Delete a page with its attempts and files; the pages after it move up."""
    batch, pages = _lock(page.batch, gettext_noop("deleted"))
    page = next(p for p in pages if p.pk == page.pk)
    if len(pages) == 1:
        raise Conflict(_("a deck keeps at least one page; delete the batch instead"))
    rest = [p for p in pages if p.pk != page.pk]
    reruns = _sections_refresh(rest, [p.plan for p in pages], batch)
    _refuse_running([page, *(rerun.page for rerun in reruns)])
    files = _files_of(page)
    page.delete()
    _renumber(rest)
    _apply(batch, reruns)
    _settle(batch)
    if files:
        transaction.on_commit(lambda: _delete_files(files))
    logger.info("page_deleted batch=%s page=%s files=%s", batch.pk, page.pk, len(files))


@transaction.atomic
def pages_reorder(*, batch: Batch, page_ids: list[int]) -> list[Page]:
    """Put the batch's pages in the order of `page_ids` (every page of the batch, once); the
    section numbers and the contents page follow, and exports use the new order."""
    batch, pages = _lock(batch, gettext_noop("moved"))
    by_id = {page.pk: page for page in pages}
    foreign = [pk for pk in page_ids if pk not in by_id]
    if foreign:
        raise InvalidInput(
            _("page %(page)s is not a page of this batch") % {"page": foreign[0]},
            details={"pages": foreign},
        )
    missing = [pk for pk in by_id if pk not in page_ids]
    if missing or len(page_ids) != len(by_id):
        raise InvalidInput(
            f"list every page of the batch exactly once ({len(by_id)} pages; "
            f"{'missing: ' + ', '.join(map(str, missing)) if missing else 'some listed twice'})",
            details={"pages": missing or "duplicates"},
        )
    order = [by_id[pk] for pk in page_ids]
    _renumber(order)
    _apply(batch, _sections_refresh(order, [p.plan for p in pages], batch))
    logger.info("pages_reordered batch=%s", batch.pk)
    return order


def deck_lock(batch: Batch) -> list[Page]:
    """Lock the batch, then its pages in order (the order every change to a deck's pages
    takes, so that two changes never wait for each other)."""
    Batch.objects.select_for_update().get(pk=batch.pk)
    return list(batch.pages.select_for_update().order_by("index"))


def sections_follow(*, page: Page, before: dict) -> None:
    """After `page`'s plan changed from `before` other than through page_edit (a regenerate's
    edits), the pages that show the deck's sections follow, as they do after page_edit. Call
    inside a transaction that took deck_lock first."""
    pages = list(page.batch.pages.order_by("index"))
    order = [page if p.pk == page.pk else p for p in pages]
    plans = [before if p.pk == page.pk else p.plan for p in pages]
    reruns = [rerun for rerun in _sections_refresh(order, plans, page.batch) if rerun.page != page]
    if reruns:
        _apply(page.batch, reruns)


def _lock(batch: Batch, what: str) -> tuple[Batch, list[Page]]:
    """The batch and its pages in order, locked, once its pages may change."""
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    _check_editable(batch, what)
    return batch, list(batch.pages.select_for_update().order_by("index"))


def _check_editable(batch: Batch, what: str) -> None:
    if batch.kind == "image":
        raise Conflict(
            _(
                "a single image has one page drawn from its prompt; its page cannot be %(what)s "
                "(regenerate it, or create another image)"
            )
            % {"what": _(what)}
        )
    if batch.status not in EDITABLE_BATCHES:
        raise Conflict(
            _(
                "the batch is %(status)s; pages can be %(what)s once it is planned "
                "(awaiting approval, running or done), never after a cancel"
            )
            % {"status": status_word(batch.status), "what": _(what)}
        )


def _refuse_running(pages: list[Page]) -> None:
    running = [page for page in pages if page.status == PageStatus.RUNNING]
    if running:
        page = running[0]
        raise Conflict(
            _(
                "page %(index)s (%(title)s) is being generated right now; "
                "try again when its current step has finished"
            )
            % {"index": page.index, "title": page.title[:80]},
            details={"pages": [p.pk for p in running]},
        )


def page_plan_edited(*, page: Page, changes: dict, pages: list[Page] | None = None) -> dict:
    """The page's plan with `changes`, checked, nothing stored: InvalidInput naming what is
    wrong (the text must fit its slide), Conflict while the page runs or its batch is not
    planned. A content page's semantics follow its text; a section's opening page renamed
    renames the section. `pages`: the batch's pages in order (read when not given)."""
    _check_editable(page.batch, gettext_noop("edited"))
    _refuse_running([page])
    if pages is None:
        pages = list(page.batch.pages.order_by("index"))
    plan = _edited_plan(page, changes, pages)
    if plan != page.plan:
        _check_fits(plan, page.batch)
    return plan


def _edited_plan(page: Page, changes: dict, pages: list[Page]) -> dict:
    if not changes:
        raise InvalidInput(
            _("say what to change: %(fields)s") % {"fields": ", ".join(PLAN_FIELDS)},
            details={"plan": "empty"},
        )
    plan = {**page.plan, **changes_checked(changes, kind=page.kind, layouts=LAYOUT_CHOICES)}
    if plan.get("layout") == "auto":  # the renderer's own choice: no layout stored
        del plan["layout"]
    if opens_section(page.plan):
        plan["section"] = plan.get("title", "")
    if page.kind == "content" and plan != page.plan:
        position = sum(1 for p in pages if p.kind == "content" and p.index < page.index)
        plan["semanticFeatures"] = _semantics(plan, position)
    return plan


def _content_plan(fields: dict, before: list[Page], first: dict) -> dict:
    """A new content page's plan: in the section of the page before it, the deck's language."""
    previous = before[-1].plan if before else {}
    in_section = before and before[-1].kind in ("content", "transition")
    plan = {
        "kind": "content",
        "title": fields["title"],
        "subtitle": fields.get("subtitle", ""),
        "section": previous.get("section", "") if in_section else "",
        "section_index": previous.get("section_index", 0) if in_section else 0,
        "items": fields.get("items", []),
        "language": first.get("language", "en"),
    }
    if fields.get("layout"):
        plan["layout"] = fields["layout"]
    position = sum(1 for p in before if p.kind == "content")
    plan["semanticFeatures"] = _semantics(plan, position)
    return plan


def _semantics(plan: dict, position: int) -> dict:
    title, items = plan.get("title", ""), plan.get("items", [])
    return infer_semantics(title, items, language=plan.get("language", "en"), position=position)


def _check_fits(plan: dict, batch: Batch) -> None:
    """Never a slide with text cut off: refused before anything is drawn."""
    if not page_fits(plan, batch.size):
        raise InvalidInput(
            _(
                "the page's text does not fit on one slide even at the smallest font size: "
                "shorten it or put part of it on a page of its own"
            ),
            details={"plan": "does not fit"},
        )


def _sections_refresh(order: list[Page], before: list[dict], batch: Batch) -> list[_Rerun]:
    """The pages that show the deck's sections (transition pages, the contents page, an
    ending page listing them) whose plan changes with `order` (the pages' plans were `before`),
    to run again from describe. An ending page's list that no longer fits its slide gives way
    to the deck's title, then to nothing, as the planner does."""
    plans = sections_numbered([page.plan for page in order], before=before)
    reruns = []
    for page, plan in zip(order, plans, strict=True):
        if plan.get("kind") == "ending" and plan != page.plan:
            plan = _ending_that_fits(plan, order, batch)
        if plan != page.plan:
            reruns.append(_Rerun(page, plan, "describe"))
    return reruns


def _ending_that_fits(plan: dict, order: list[Page], batch: Batch) -> dict:
    cover = next((p.plan.get("title", "") for p in order if p.kind == "cover"), "")
    for subtitle in (plan.get("subtitle", ""), cover, ""):
        if page_fits({**plan, "subtitle": subtitle}, batch.size):
            break
    return {**plan, "subtitle": subtitle}


def _renumber(order: list[Page]) -> None:
    """Give `order` the indexes 1, 2, …, in two phases because an index is unique per batch:
    the pages that move leave for indexes no page has, then each takes its own."""
    changed = [(index, page) for index, page in enumerate(order, start=1) if page.index != index]
    if not changed:
        return
    _shift([page for _index, page in changed])
    for index, page in changed:
        page.index = index
    Page.objects.bulk_update([page for _index, page in changed], ["index"])


def _shift(pages: list[Page]) -> None:
    """Move `pages` out of the way, past every index a page has."""
    Page.objects.filter(pk__in=[page.pk for page in pages]).update(index=F("index") + _SHIFT)
    for page in pages:
        page.index += _SHIFT


def _apply(batch: Batch, reruns: list[_Rerun]) -> None:
    """Store the new plans and send their pages back to run from their step (the earlier of
    that step and where a page not yet done would resume). A batch awaiting approval keeps
    them pending: its approval queues them."""
    reruns = _merged(reruns)
    _refuse_running([rerun.page for rerun in reruns])
    for rerun in reruns:
        page = rerun.page
        resume = page.resume_step if page.status != PageStatus.COMPLETED else ""
        page.resume_step = min(filter(None, [resume, rerun.from_step]), key=PAGE_STEPS.index)
        page.plan, page.title = rerun.plan, rerun.plan.get("title", page.title)[:300]
        page.status, page.error, page.finished_at = PageStatus.PENDING, "", None
        fields = ["plan", "title", "status", "resume_step", "error", "finished_at"]
        page.save(update_fields=fields)
    if reruns and batch.status != BatchStatus.AWAITING_APPROVAL:
        batch.reopen()
        batch.status = BatchStatus.RUNNING
        pages_enqueue(page_ids=[rerun.page.pk for rerun in reruns])
    batch_refresh(batch=batch)


def _merged(reruns: list[_Rerun]) -> list[_Rerun]:
    """One rerun a page: its last plan, from the earliest step asked for."""
    merged: dict[int, _Rerun] = {}
    for rerun in reruns:
        known = merged.get(rerun.page.pk)
        steps = [rerun.from_step, *([known.from_step] if known else [])]
        merged[rerun.page.pk] = _Rerun(rerun.page, rerun.plan, min(steps, key=PAGE_STEPS.index))
    return list(merged.values())


def _settle(batch: Batch) -> None:
    """After a deletion a finished batch's status follows its pages again (a partial batch
    whose failed page went is complete)."""
    if batch.status in (BatchStatus.COMPLETED, BatchStatus.PARTIAL, BatchStatus.FAILED):
        batch.reopen()
        batch_refresh(batch=batch)


def _files_of(page: Page) -> list[str]:
    names = {page.image.name, page.thumbnail.name}
    names.update(page.step_runs.exclude(output_image="").values_list("output_image", flat=True))
    return sorted(name for name in names if name)


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)

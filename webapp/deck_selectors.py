"""Reads for the deck page and the page view: a person's own deck (another's is a 404, as in
the API), its pages as cards, a page's versions with their links."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.storage import default_storage
from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from generation.exports import FORMATS
from generation.models import Batch, BatchStatus, Page, PageStatus, Step, StepRun
from generation.selectors import page_versions

PAGE_STATUS_LABELS = {
    PageStatus.PENDING: _("Waiting"),
    PageStatus.RUNNING: _("In progress"),
    PageStatus.HELD: _("Held for review"),
    PageStatus.COMPLETED: _("Done"),
    PageStatus.FAILED: _("Failed"),
    PageStatus.CANCELLED: _("Cancelled"),
}
BATCH_STATUS_LABELS = {
    BatchStatus.PENDING: _("Waiting to start"),
    BatchStatus.PLANNING: _("Planning the pages"),
    BatchStatus.AWAITING_APPROVAL: _("Plan ready: waiting for your approval"),
    BatchStatus.RUNNING: _("Drawing the pages"),
    BatchStatus.COMPLETED: _("Done"),
    BatchStatus.PARTIAL: _("Done, some pages failed"),
    BatchStatus.FAILED: _("Failed"),
    BatchStatus.CANCELLED: _("Cancelled"),
}
STEP_LABELS = {
    Step.OUTLINE: _("Reading the outline"),
    Step.PLAN: _("Planning"),
    Step.DESCRIBE: _("Describing"),
    Step.RENDER: _("Drawing"),
    Step.FINISH: _("Finishing"),
}
DOWNLOAD_LABELS = {
    "pptx": _("PowerPoint (PPTX)"),
    "pptx-editable": _("Editable PowerPoint"),
    "pdf": _("PDF"),
    "zip": _("Images (ZIP)"),
}


def deck_for(user: AbstractBaseUser, batch_id: object) -> Batch:
    """The user's deck (staff: anyone's), with its progress counters; 404 otherwise."""
    decks = Batch.objects.filter(kind="deck").select_related("counters")
    if not user.is_staff:
        decks = decks.filter(owner=user)
    return get_object_or_404(decks, pk=batch_id)


def deck_page_for(deck: Batch, index: int) -> Page:
    return get_object_or_404(deck.pages.select_related("batch"), index=index)


def deck_cards(deck: Batch) -> QuerySet[Page]:
    """The deck's pages in order, each with the selected render's score."""
    selected = StepRun.objects.selected().filter(page=OuterRef("pk"), step=Step.RENDER)
    return deck.pages.order_by("index").annotate(score=Subquery(selected.values("score")[:1]))


def file_url(field: object) -> str:
    """A stored image's signed link, or "" when there is none."""
    return field.url if field else ""


def deck_downloads(deck: Batch) -> list[dict]:
    """The API's exports of the deck (session auth, the same ownership)."""
    export = reverse("api:batch-export", kwargs={"pk": deck.pk})
    return [
        {"format": fmt, "label": DOWNLOAD_LABELS[fmt], "url": f"{export}?format={fmt}"}
        for fmt in FORMATS
    ]


def versions_of(page: Page) -> list[dict]:
    """The page's versions (oldest first) with their links and whether each is the page's."""
    versions = []
    for run in page_versions(page=page):
        thumbnail = run.thumbnail_name or run.output_image.name
        versions.append(
            {
                "run": run,
                "number": len(versions) + 1,
                "thumbnail_url": default_storage.url(thumbnail),
                "current": run.selected,
                "instruction": run.params.get("instruction", ""),
                "edits": run.params.get("edits") or {},
            }
        )
    return versions

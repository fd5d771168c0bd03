"""What the event streams say, read from the state the pipeline already stores (no event rows).

A page's event id is its cursor: its `updated_at` in microseconds and its id ("<µs>-<id>"),
so a client that reconnects with `Last-Event-ID` is sent the pages that changed after it.
Progress comes from the same selectors as the progress and batch-detail API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import FilteredRelation, Q, QuerySet
from django.utils import timezone

from generation.credit_selectors import credits_of, with_credits
from generation.models import Batch, BatchStatus, Page
from generation.selectors import batch_progress, with_render_stats

PROGRESS_FIELDS = ("completed", "failed", "total", "percentage", "eta_seconds", "cost_usd", "steps")
Cursor = tuple[int, int]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(stamp: datetime | None) -> int:
    """A stamp as whole microseconds since 1970 (0 for none), exactly."""
    return (stamp - EPOCH) // timedelta(microseconds=1) if stamp else 0


def stamp(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True)
class PageState:
    """One page as its event shows it. `row` (the page's own columns shown, before links are
    signed) tells whether it changed; `attempts` and `score` come from its step runs, which do
    not stamp the page, so they ride along with the page's next change of its own: every page
    event then carries the stamp of the commit that changed what it shows."""

    cursor: Cursor
    row: tuple
    attempts: int
    score: float | None

    @property
    def event_id(self) -> str:
        return f"{self.cursor[0]}-{self.cursor[1]}"


@dataclass
class Snapshot:
    """A batch as one look at the database found it."""

    kind: str
    start: dict
    pages: dict[int, PageState] = field(default_factory=dict)
    progress: dict = field(default_factory=dict)
    status: str = ""
    complete: dict | None = None
    error: dict | None = None


def parse_cursor(text: str) -> Cursor | None:
    """A Last-Event-ID as sent by the stream; None for anything else."""
    first, _, second = (text or "").partition("-")
    if not (first.isascii() and first.isdigit() and second.isascii() and second.isdigit()):
        return None
    return int(first), int(second)


def batch_for_events(batch_id: object) -> Batch | None:
    """The batch with what its progress and credits read, in one query; None when it is gone."""
    return with_credits(Batch.objects.filter(pk=batch_id)).select_related("counters").first()


def batch_snapshot(batch: Batch, *, since: object = None) -> Snapshot:
    """The batch now, with its pages stamped at or after `since` (all pages when None)."""
    progress = _progress(batch)
    snapshot = Snapshot(
        kind=batch.kind, start=_start(batch, total=progress["total"]), status=batch.status
    )
    snapshot.progress = progress
    pages: QuerySet[Page] = with_render_stats(batch.pages.all())
    if since is not None:
        pages = pages.filter(updated_at__gte=since)
    for page in pages.order_by("updated_at", "pk"):
        snapshot.pages[page.pk] = _page_state(page)
    if batch.is_final:
        snapshot.complete = _complete(batch)
        if batch.status == BatchStatus.FAILED:
            snapshot.error = {"code": "batch_failed", "message": batch.error or "the batch failed"}
    return snapshot


def batch_mark(batch_id: object, since: datetime | None) -> tuple[str, dict[int, int]] | None:
    """The cheap look a polling stream takes, one query: the batch's status and the stamps
    (microseconds) of its pages stamped at or after `since`; None when the batch is gone."""
    recent = FilteredRelation("pages", condition=Q(pages__updated_at__gte=since or EPOCH))
    rows = list(
        Batch.objects.filter(pk=batch_id)
        .annotate(recent=recent)
        .values_list("status", "recent__pk", "recent__updated_at")
    )
    if not rows:
        return None
    return rows[0][0], {pk: micros(when) for _status, pk, when in rows if pk is not None}


def page_payload(state: PageState, *, kind: str) -> dict:
    """The `page` event: the issue's fields and the page's error (why it failed, for the
    deck page's failed cards); an image's also carries its image."""
    index, page_kind, title, status, step, thumbnail, image, error = state.row
    payload = {
        "index": index,
        "kind": page_kind,
        "title": title,
        "status": status,
        "step": step,
        "attempt": state.attempts,
        "score": state.score,
        "thumbnail_url": _url(thumbnail),
        "error": error,
    }
    if kind == "image":
        payload["image_url"] = _url(image)
    return payload


def _url(name: str) -> str | None:
    return Page.thumbnail.field.storage.url(name) if name else None


def _page_state(page: Page) -> PageState:
    row = (page.index, page.kind, page.title, page.status, page.current_step)
    row = (*row, page.thumbnail.name or "", page.image.name or "", page.error)
    return PageState((micros(page.updated_at), page.pk), row, page.attempts, page.score)


def _start(batch: Batch, *, total: int) -> dict:
    now = timezone.now().isoformat()
    if batch.kind == "image":
        plan = batch.pages.values_list("plan", flat=True).first() or {}
        return {
            "image_id": str(batch.pk),
            "prompt": batch.outline,
            "mode": plan.get("mode", "text"),
            "aspect_ratio": plan.get("aspect_ratio", ""),
            "size": plan.get("image_size", ""),
            "timestamp": now,
        }
    return {
        "batch_id": str(batch.pk),
        "total_pages": total,
        "language": batch.opts.language,
        "template": batch.template_snapshot.get("slug"),
        "timestamp": now,
    }


def _progress(batch: Batch) -> dict:
    progress = batch_progress(batch=batch)
    return {**{name: progress[name] for name in PROGRESS_FIELDS}, "credits": credits_of(batch)}


def _complete(batch: Batch) -> dict:
    started = batch.started_at or batch.created_at
    seconds = (batch.finished_at - started).total_seconds() if batch.finished_at else None
    complete = {
        "status": batch.status,
        "total_slides": batch.counters.completed,
        "generation_time_s": round(seconds, 1) if seconds is not None else None,
    }
    if batch.kind == "image":
        image = batch.pages.values_list("image", flat=True).first()
        complete["image_url"] = _url(image or "")
    return complete

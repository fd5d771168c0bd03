"""One client's event stream, as text/event-stream chunks: `start`, the pages changed after
the client's Last-Event-ID (every page on a first connection), `progress`, then each change as
the batch's feed sees it, a `: ping` comment when nothing was sent for EVENTS_HEARTBEAT_SECONDS,
and the end after `complete` (or an `error` that ends it)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from django.conf import settings
from django.utils import timezone

from generation.events.feed import HUB, Update
from generation.events.payloads import Cursor, PageState, Snapshot, page_payload

RETRY_MS = 3000  # how long a browser waits before it reconnects


def sse(event: str, data: dict, *, event_id: str = "") -> bytes:
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id else "")
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _pages(states: list[PageState], kind: str) -> list[bytes]:
    return [
        sse("page", page_payload(state, kind=kind), event_id=state.event_id) for state in states
    ]


def _catch_up(snapshot: Snapshot, after: Cursor | None) -> list[bytes]:
    states = sorted(snapshot.pages.values(), key=lambda state: state.cursor)
    missed = [state for state in states if after is None or state.cursor > after]
    chunks = [
        f"retry: {RETRY_MS}\n\n".encode(),
        sse("start", {**snapshot.start, "timestamp": timezone.now().isoformat()}),
        *_pages(missed, snapshot.kind),
        sse("progress", snapshot.progress),
    ]
    if snapshot.error:
        chunks.append(sse("error", snapshot.error))
    if snapshot.complete is not None:
        chunks.append(sse("complete", snapshot.complete))
    return chunks


def _changes(update: Update, kind: str) -> list[bytes]:
    chunks = _pages(update.pages, kind)
    if update.progress is not None:
        chunks.append(sse("progress", update.progress))
    if update.error:
        chunks.append(sse("error", update.error))
    if update.complete is not None:
        chunks.append(sse("complete", update.complete))
    return chunks


async def event_stream(batch_id: str, *, after: Cursor | None) -> AsyncIterator[bytes]:
    """The chunks of one client's stream; it holds no thread while it waits."""
    feed = HUB.feed(batch_id)
    queue = feed.subscribe()
    try:
        await feed.ready.wait()
        snapshot, seen = feed.snapshot, feed.version
        if snapshot is None:  # the first look found no batch, or failed
            ended = queue.get_nowait() if not queue.empty() else None
            gone = {"code": "not_found", "message": "The batch was deleted."}
            yield sse("error", ended.error if ended and ended.error else gone)
            return
        kind = snapshot.kind
        for chunk in _catch_up(snapshot, after):
            yield chunk
        if snapshot.complete is not None:
            return
        heartbeat = settings.NANODECK["EVENTS_HEARTBEAT_SECONDS"]
        while True:
            update = None
            with contextlib.suppress(TimeoutError):
                update = await asyncio.wait_for(queue.get(), heartbeat)
            if update is None:
                yield b": ping\n\n"
                continue
            if update.version <= seen:
                continue  # already in the catch-up
            for chunk in _changes(update, kind):
                yield chunk
            if update.end:
                return
    finally:
        feed.unsubscribe(queue)

"""Events as text/event-stream bytes, made once per change and shared by every stream."""

from __future__ import annotations

import json

from generation.events.payloads import Cursor, PageState, Snapshot, page_payload

RETRY_MS = 3000  # how long a browser waits before it reconnects


def sse(event: str, data: dict, *, event_id: str = "") -> bytes:
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id else "")
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def changes(
    *,
    kind: str,
    pages: list[PageState],
    progress: dict | None = None,
    error: dict | None = None,
    complete: dict | None = None,
) -> bytes:
    """`page` events (in cursor order), then `progress`, `error` and `complete` when given."""
    chunks = [
        sse("page", page_payload(state, kind=kind), event_id=state.event_id) for state in pages
    ]
    if progress is not None:
        chunks.append(sse("progress", progress))
    if error:
        chunks.append(sse("error", error))
    if complete is not None:
        chunks.append(sse("complete", complete))
    return b"".join(chunks)


def catch_up(snapshot: Snapshot, after: Cursor | None) -> bytes:
    """What a client is sent on (re)connecting: `start`, the pages changed after its cursor
    (all of them without one), `progress`, and the end when the batch is final."""
    states = sorted(snapshot.pages.values(), key=lambda state: state.cursor)
    missed = [state for state in states if after is None or state.cursor > after]
    head = f"retry: {RETRY_MS}\n\n".encode() + sse("start", snapshot.start)
    return head + changes(
        kind=snapshot.kind,
        pages=missed,
        progress=snapshot.progress,
        error=snapshot.error,
        complete=snapshot.complete,
    )

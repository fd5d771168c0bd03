"""One client's event stream: the catch-up (`start`, the pages changed after the client's
Last-Event-ID, every page on a first connection, `progress`), then each change as the batch's
feed sees it, a `: ping` comment when nothing was sent for EVENTS_HEARTBEAT_SECONDS, and the
end after `complete` (or an `error` that ends it). The bytes of a change are made once by the
feed and shared by every stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from django.conf import settings

from generation.events.encode import sse
from generation.events.feed import HUB
from generation.events.payloads import Cursor

PING = b": ping\n\n"


async def event_stream(batch_id: str, *, after: Cursor | None) -> AsyncIterator[bytes]:
    """The chunks of one client's stream; it holds no thread while it waits."""
    feed = HUB.feed(batch_id)
    queue = feed.subscribe()
    try:
        await feed.ready.wait()
        if feed.snapshot is None:  # the first look found no batch, or failed
            ended = queue.get_nowait() if not queue.empty() else None
            gone = {"code": "not_found", "message": "The batch was deleted."}
            yield sse("error", ended.error if ended and ended.error else gone)
            return
        seen = feed.version
        yield feed.catch_up(after)
        if feed.snapshot.complete is not None:
            return
        heartbeat = settings.NANODECK["EVENTS_HEARTBEAT_SECONDS"]
        while True:
            update = None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(heartbeat):  # no task per wait, unlike wait_for
                    update = await queue.get()
            if update is None:
                yield PING
            elif update.version > seen:  # else already in the catch-up
                yield update.body
                if update.end:
                    return
    finally:
        feed.unsubscribe(queue)

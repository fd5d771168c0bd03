"""One watcher per batch and server process, however many streams follow that batch.

A feed looks at the database when it is woken (a worker's PUBLISH on the Redis channel, see
publish.py) or, without a message, every EVENTS_POLL_SECONDS (EVENTS_REDIS_POLL_SECONDS while
Redis listens) with one cheap query: the batch's status and its last page stamp. Only when
that moved does it read the pages stamped since its last look (less OVERLAP, for a page whose
commit came after a later stamp's), its progress and its credits, and hands every stream the
pages whose event changed. Database work runs on a small pool of threads of its own, so an
open stream holds no thread and no worker: 500 streams of one batch cost one look per change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import redis.asyncio
from django.conf import settings
from django.db import DatabaseError, connection
from redis.exceptions import RedisError

from generation.events import encode
from generation.events.payloads import (
    Cursor,
    PageState,
    Snapshot,
    batch_for_events,
    batch_mark,
    batch_snapshot,
    stamp,
)
from generation.events.publish import CHANNEL

logger = logging.getLogger("nanodeck.events")
OVERLAP = timedelta(seconds=2)
REDIS_RETRY_SECONDS = 2.0


@dataclass
class Update:
    """What changed since a feed's previous look, in the order the streams send it."""

    version: int
    pages: list[PageState] = field(default_factory=list)
    progress: dict | None = None
    error: dict | None = None
    complete: dict | None = None
    end: bool = False  # the stream ends after this one (complete, the batch gone, a failure)
    body: bytes = b""  # the events, encoded once for every stream


def _look(batch_id: str, since_micros: int | None) -> Snapshot | None:
    """One look at the batch (in a feed thread); None when it is gone."""
    try:
        batch = batch_for_events(batch_id)
        if batch is None:
            return None
        since = None if since_micros is None else stamp(since_micros) - OVERLAP
        return batch_snapshot(batch, since=since)
    except DatabaseError:
        connection.close()  # the next look opens a fresh connection
        raise


def _mark(batch_id: str, since_micros: int | None) -> tuple | None:
    try:
        since = None if since_micros is None else stamp(since_micros) - OVERLAP
        return batch_mark(batch_id, since)
    except DatabaseError:
        connection.close()
        raise


class BatchFeed:
    def __init__(self, hub: Hub, batch_id: str) -> None:
        self.hub, self.batch_id = hub, batch_id
        self.listeners: set[asyncio.Queue] = set()
        self.wake = asyncio.Event()
        self.ready = asyncio.Event()
        self.snapshot: Snapshot | None = None
        self.version = 0
        self.status = ""
        self.stamps: dict[int, int] = {}  # page id -> its stamp at the last look (microseconds)
        self.last_seen: int | None = None  # the latest of them
        self.task: asyncio.Task | None = None
        self.first_catch_up: tuple[int, bytes] = (-1, b"")

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self.listeners.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.listeners.discard(queue)
        if not self.listeners:
            self.hub.forget(self)  # a stream that comes next starts a feed of its own
            if self.task is not None:
                self.task.cancel()

    async def run(self) -> None:
        try:
            await self._follow()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("events_feed_failed batch=%s", self.batch_id)
            message = "Live progress stopped on our side; reconnect to resume."
            error = {"code": "server_error", "message": message}
            self._send(Update(self.version + 1, error=error, end=True))
        finally:
            self.ready.set()
            self.hub.forget(self)

    async def _follow(self) -> None:
        while True:
            self.wake.clear()
            update = await self._refresh()
            self.ready.set()
            if update is not None and update.end:
                return
            while not await self._woken() and not await self._moved():
                pass  # nothing changed: wait again

    async def _moved(self) -> bool:
        """Whether the batch's status or a page stamped since the last look (less OVERLAP:
        a page may commit after a later stamp) changed."""
        mark = await self.hub.db(_mark, self.batch_id, self.last_seen)
        if mark is None:
            return True
        status, stamps = mark
        return status != self.status or any(
            self.stamps.get(page_id) != micros for page_id, micros in stamps.items()
        )

    async def _woken(self) -> bool:
        interval = settings.NANODECK["EVENTS_POLL_SECONDS"]
        if self.hub.redis_live:
            interval = settings.NANODECK["EVENTS_REDIS_POLL_SECONDS"]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), interval)
            return True
        return False

    async def _refresh(self) -> Update | None:
        old = self.snapshot
        fresh = await self.hub.db(_look, self.batch_id, self.last_seen)
        if fresh is None:
            gone = {"code": "not_found", "message": "The batch was deleted."}
            return self._send(Update(self.version + 1, error=gone, end=True))
        update = self._apply(old, fresh)
        return self._send(update) if update else None

    def _apply(self, old: Snapshot | None, fresh: Snapshot) -> Update | None:
        """Keep the fresh look; the Update holds what changed (None: nothing did)."""
        known = old.pages if old else {}
        changed = [
            state
            for page_id, state in fresh.pages.items()
            if page_id not in known or known[page_id].row != state.row
        ]
        self.stamps.update({page_id: state.cursor[0] for page_id, state in fresh.pages.items()})
        self.last_seen = max(self.stamps.values(), default=None)
        self.status = fresh.status
        fresh.pages = {**known, **{state.cursor[1]: state for state in changed}}
        self.snapshot = fresh
        if old is None:
            self.version += 1
            return None
        update = Update(self.version + 1, pages=sorted(changed, key=lambda s: s.cursor))
        if fresh.progress != old.progress or changed:
            update.progress = fresh.progress
        if fresh.complete is not None:
            update.error, update.complete, update.end = fresh.error, fresh.complete, True
        if not (update.pages or update.progress or update.complete):
            return None
        return update

    def catch_up(self, after: Cursor | None) -> bytes:
        """What a client connecting now is sent first; the same bytes for every first
        connection until the next change."""
        if after is not None:
            return encode.catch_up(self.snapshot, after)
        if self.first_catch_up[0] != self.version:
            self.first_catch_up = (self.version, encode.catch_up(self.snapshot, None))
        return self.first_catch_up[1]

    def _send(self, update: Update) -> Update:
        kind = self.snapshot.kind if self.snapshot else "deck"
        update.body = encode.changes(
            kind=kind,
            pages=update.pages,
            progress=update.progress,
            error=update.error,
            complete=update.complete,
        )
        self.version = update.version
        for queue in self.listeners:
            queue.put_nowait(update)
        return update


class Hub:
    """This process's feeds, their database threads and the Redis subscription that wakes
    them."""

    def __init__(self) -> None:
        self.feeds: dict[str, BatchFeed] = {}
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nanodeck-events")
        self.redis_live = False
        self.listener: asyncio.Task | None = None

    def feed(self, batch_id: str) -> BatchFeed:
        feed = self.feeds.get(batch_id)
        if feed is None:
            feed = self.feeds[batch_id] = BatchFeed(self, batch_id)
            feed.task = asyncio.create_task(feed.run())
        if settings.REDIS_URL and self.listener is None:
            self.listener = asyncio.create_task(self._listen(settings.REDIS_URL))
        return feed

    def forget(self, feed: BatchFeed) -> None:
        if self.feeds.get(feed.batch_id) is feed:
            del self.feeds[feed.batch_id]

    async def db(self, function: Any, *args: object) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    async def _listen(self, url: str) -> None:
        """Wake the feed of each batch id published on CHANNEL; on Redis trouble, feeds poll at
        the short interval until the subscription is back."""
        while True:
            client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=2)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.redis_live = True
                    async for message in pubsub.listen():
                        self._wake(message["data"])
            except (RedisError, OSError) as exc:
                logger.warning("events_redis_unavailable error=%s", exc)
            finally:
                self.redis_live = False
                await client.aclose()
            for feed in list(self.feeds.values()):
                feed.wake.set()  # a message may have been lost meanwhile
            await asyncio.sleep(REDIS_RETRY_SECONDS)

    def _wake(self, data: bytes) -> None:
        feed = self.feeds.get(data.decode(errors="replace"))
        if feed is not None:
            feed.wake.set()


HUB = Hub()

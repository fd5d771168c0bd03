"""The task queue (django-q2's broker): is it there, and handing it work once the data commits.

Work is sent with `transaction.on_commit` and carries ids only. A send that fails after the
commit leaves the rows stored with their `queued_at`, and the sweeper sends them again.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM as OrmBroker
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.tasks import async_task
from redis.exceptions import RedisError

from generation.errors import BrokerUnavailable
from generation.models import Page
from generation.providers.wake import pipe_announce, pipe_wait

logger = logging.getLogger("nanodeck.pipeline")

# What the broker raises when it is unreachable: Redis, or the ORM broker's database.
BROKER_ERRORS = (RedisError, OSError, DatabaseError)
PLAN_TASK = "generation.tasks.plan_batch"
PAGE_TASK = "generation.tasks.run_page"


def broker_check() -> None:
    """Raise BrokerUnavailable unless the task queue answers (the ORM broker is the database)."""
    broker = get_broker()
    try:
        # Redis directly: django-q2's own ping logs an error line of its own first.
        (broker.connection.ping if isinstance(broker, RedisBroker) else broker.ping)()
    except BROKER_ERRORS as exc:
        raise BrokerUnavailable(
            f"the task queue is unreachable ({exc}); nothing was stored, try again later"
        ) from None


def pages_enqueue(*, page_ids: list[int]) -> None:
    """Queue one task per page once the surrounding transaction has committed. Raises
    BrokerUnavailable, before anything commits, when the queue does not answer."""
    if not page_ids:
        return
    broker_check()
    Page.objects.filter(pk__in=page_ids).update(queued_at=timezone.now())
    transaction.on_commit(
        lambda: tasks_send(func=PAGE_TASK, ids=page_ids, label="page", keep_success=False)
    )


def tasks_send(*, func: str, ids: list, label: str, keep_success: bool = True) -> None:
    """Hand tasks to the broker in the order of `ids`, in at most two operations (an insert
    for the ORM broker, an RPUSH for Redis): first as many as one cluster's pusher takes ahead
    of its workers, then the rest. A deck's 100 page tasks no longer take 100 writes that hold
    up its first pages, and its first pages no longer wait for the other tasks to be signed
    (~0.25 ms each). Runs after the commit, so a failure here must not raise: the rows are
    stored with their queued_at, and the sweeper sends them again after
    REQUEUE_AFTER_SECONDS.

    `keep_success=False`: a task that succeeds leaves no row in django-q2's task history (its
    failures still do). A page task's outcome is the page's own record (its status, error and
    attempts); the history row cost the cluster's monitor a read and an insert per page, a
    write queuing with the pages' own on SQLite."""
    broker = get_broker()
    first = settings.Q_CLUSTER.get("queue_limit") or len(ids)
    try:
        for part in (ids[:first], ids[first:]):
            held = _Held(broker)
            for item in part:  # async_task signs each one; with Q_CLUSTER sync it runs it here
                async_task(func, item, task_name=f"{label} {item}", broker=held, save=keep_success)
            _send_all(broker, held.packages)
    except BROKER_ERRORS as exc:
        logger.warning("enqueue_failed task=%s ids=%s error=%s", func, ids[:10], exc)


class _Held:
    """A broker for async_task that keeps the signed packages, to send them at once."""

    def __init__(self, broker: Broker) -> None:
        self.list_key = broker.list_key
        self.packages: list[str] = []

    def enqueue(self, package: str) -> int:
        self.packages.append(package)
        return len(self.packages)


def _send_all(broker: Broker, packages: list[str]) -> None:
    if not packages:
        return
    if isinstance(broker, RedisBroker):
        broker.connection.rpush(broker.list_key, *packages)
    elif isinstance(broker, OrmBroker):
        now = timezone.now()
        key = broker.list_key or Conf.CLUSTER_NAME
        broker.get_connection().bulk_create(
            [OrmQ(key=key, payload=package, lock=now) for package in packages]
        )
        pipe_announce(f"queue:{key}", limit=1)
    else:  # another broker: its own enqueue, one by one
        for package in packages:
            broker.enqueue(package)


class SqliteBroker(OrmBroker):
    """django-q2's ORM broker on SQLite (settings: Q_CLUSTER's broker_class there): a task
    sent puts a token on the queue's wake pipe (generation/providers/wake.py: every process is
    on the machine that holds the database file), and the cluster's pusher, finding the queue
    empty, waits on that pipe for up to Q_CLUSTER's poll instead of sleeping it out: a task
    reaches a worker at once instead of after half a poll on average (twice before a deck's
    first page: its plan, then its pages)."""

    def enqueue(self, task: str) -> int:
        pk = super().enqueue(task)
        pipe_announce(f"queue:{self.list_key or Conf.CLUSTER_NAME}", limit=1)
        return pk

    def dequeue(self) -> list[tuple[int, str]] | None:
        """Up to Q_CLUSTER's `bulk` tasks, taken in one transaction (SQLite's are IMMEDIATE:
        no other cluster changes them between the look and the take), instead of one look
        and one write each: a deck's first page tasks reach the workers without a write per
        task queuing with the pages' own. None after waiting for some."""
        seen = list(
            self.get_connection()
            .filter(key=self.list_key, lock__lt=timezone.now())
            .values_list("pk", flat=True)[: Conf.BULK]
        )
        if seen:
            with transaction.atomic(using=Conf.ORM):
                free = self.get_connection().filter(pk__in=seen, lock__lt=timezone.now())
                tasks = list(free.values_list("pk", "payload"))  # another cluster's are left
                self.get_connection().filter(pk__in=[pk for pk, _ in tasks]).update(
                    lock=self.timeout(None)
                )
            return tasks
        if not pipe_wait(f"queue:{self.list_key}", timeout=Conf.POLL):
            time.sleep(Conf.POLL)
        return None

"""The task queue (django-q2's broker): is it there, and handing it work once the data commits.

Work is sent with `transaction.on_commit` and carries ids only. A send that fails after the
commit leaves the rows stored with their `queued_at`, and the sweeper sends them again.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.tasks import async_task
from redis.exceptions import RedisError

from generation.errors import BrokerUnavailable
from generation.models import Page

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
    transaction.on_commit(lambda: tasks_send(func=PAGE_TASK, ids=page_ids, label="page"))


def tasks_send(*, func: str, ids: list, label: str) -> None:
    """Hand tasks to the broker. Runs after the commit, so a failure here must not raise: the
    rows are stored with their queued_at, and the sweeper sends them again after
    REQUEUE_AFTER_SECONDS."""
    for item in ids:
        try:
            async_task(func, item, task_name=f"{label} {item}")
        except BROKER_ERRORS as exc:
            logger.warning("enqueue_failed task=%s id=%s error=%s", func, item, exc)
            return

"""Handing tasks to the broker: a deck's page tasks go in two operations at most (first as
many as a cluster's pusher takes ahead, then the rest), in order, on both brokers; a broker that fails at the send loses nothing (logged, left to the sweeper); on SQLite
a task sent wakes the cluster's pusher at once instead of after its poll."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ, Task
from django_q.monitor import save_task
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from generation.services.queue import PAGE_TASK, PLAN_TASK, SqliteBroker, pages_enqueue, tasks_send
from tests.generation.test_broker_outage import closed_port
from tests.stacks import REDIS_URL

pytestmark = pytest.mark.django_db(transaction=True)  # the senders run in threads


@pytest.fixture
def own_queue(monkeypatch):
    """A queue of its own (the cluster name is the queue's key on both brokers)."""
    monkeypatch.setattr(Conf, "CLUSTER_NAME", f"test{uuid.uuid4().hex[:8]}")
    broker = get_broker()
    yield broker
    broker.delete_queue()


@pytest.fixture
def orm_broker(monkeypatch):
    monkeypatch.setattr(Conf, "ORM", "default")


@pytest.fixture
def redis_broker(monkeypatch):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {exc}")
    monkeypatch.setattr(Conf, "BROKER_CLASS", None)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
    monkeypatch.setattr(Conf, "DJANGO_REDIS", None)


def queued(broker) -> list[tuple[str, tuple, str]]:
    """What the broker holds, in the order a worker takes it: (func, args, name)."""
    tasks = []
    while task_set := broker.dequeue():
        for ack_id, payload in task_set:
            task = SignedPackage.loads(payload)
            tasks.append((task["func"], task["args"], task["name"]))
            broker.acknowledge(ack_id)
    return tasks


@pytest.fixture
def takes_ahead(settings):
    """A cluster whose pusher takes 4 tasks ahead of its workers."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "queue_limit": 4}


def inserts_while(send) -> int:
    with CaptureQueriesContext(connection) as queries:
        send()
    return len([q for q in queries if q["sql"].lstrip().upper().startswith("INSERT")])


def test_as_many_page_tasks_as_the_pusher_takes_ahead_go_in_one_insert(
    orm_broker, own_queue, takes_ahead
):
    ids = [7, 3, 12, 5]

    assert inserts_while(lambda: tasks_send(func=PAGE_TASK, ids=ids, label="page")) == 1
    assert queued(own_queue) == [(PAGE_TASK, (i,), f"page {i}") for i in ids]


def test_one_task_more_goes_in_a_second_insert_after_the_first_in_order(
    orm_broker, own_queue, takes_ahead
):
    ids = [7, 3, 12, 5, 9]

    assert inserts_while(lambda: tasks_send(func=PAGE_TASK, ids=ids, label="page")) == 2
    assert queued(own_queue) == [(PAGE_TASK, (i,), f"page {i}") for i in ids]


def test_page_tasks_go_to_redis_in_order_across_the_two_pushes(
    redis_broker, own_queue, takes_ahead
):
    ids = [4, 1, 8, 6, 2, 11]

    tasks_send(func=PAGE_TASK, ids=ids, label="页")

    assert own_queue.queue_size() == 6
    assert queued(own_queue) == [(PAGE_TASK, (i,), f"页 {i}") for i in ids]


def test_a_broker_that_fails_at_the_send_raises_nothing_and_logs_the_tasks(
    monkeypatch, caplog, own_queue
):
    monkeypatch.setattr(Conf, "BROKER_CLASS", None)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", f"redis://127.0.0.1:{closed_port()}/0")
    monkeypatch.setattr(Conf, "DJANGO_REDIS", None)

    tasks_send(func=PAGE_TASK, ids=[1, 2], label="page")

    assert "enqueue_failed" in caplog.text
    assert "ids=[1, 2]" in caplog.text


def _finished(broker, *, success: bool) -> list[dict]:
    """The queued tasks as the cluster's monitor gets them back from its workers."""
    tasks = []
    while task_set := broker.dequeue():
        for ack_id, payload in task_set:
            task = SignedPackage.loads(payload)
            now = timezone.now()
            task.update(success=success, result="done", started=now, stopped=now, ack_id=ack_id)
            tasks.append(task)
    return tasks


@pytest.mark.parametrize("success", [True, False])
def test_a_page_task_leaves_a_task_history_row_only_when_it_fails(orm_broker, own_queue, success):
    with transaction.atomic():
        pages_enqueue(page_ids=[41, 42])  # no such pages: only the tasks are looked at
    for task in _finished(own_queue, success=success):
        save_task(task, own_queue)

    assert Task.objects.filter(func=PAGE_TASK).count() == (0 if success else 2)


def test_a_plan_task_that_succeeds_keeps_its_task_history_row(orm_broker, own_queue):
    tasks_send(func=PLAN_TASK, ids=["b1"], label="plan")
    for task in _finished(own_queue, success=True):
        save_task(task, own_queue)

    assert list(Task.objects.values_list("func", "success")) == [(PLAN_TASK, True)]


def test_no_ids_send_nothing(orm_broker, own_queue):
    with CaptureQueriesContext(connection) as queries:
        tasks_send(func=PAGE_TASK, ids=[], label="page")

    assert not [q for q in queries if "INSERT" in q["sql"].upper()]
    assert own_queue.queue_size() == 0


@pytest.fixture
def sqlite_broker(settings, monkeypatch, tmp_path, orm_broker):
    """SQLite's broker with a poll of 2 s: a dequeue that returns sooner was woken."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the pipe is SQLite's wake")
    settings.REDIS_URL = ""
    monkeypatch.setattr("generation.providers.wake.tempfile.gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(Conf, "BROKER_CLASS", "generation.services.queue.SqliteBroker")
    monkeypatch.setattr(Conf, "POLL", 2.0)


def in_a_thread_after(seconds: float, send) -> None:
    def later() -> None:
        time.sleep(seconds)
        try:
            send()
        finally:
            connection.close()

    threading.Thread(target=later).start()


@pytest.mark.parametrize("send", ["one task", "a deck's tasks"])
def test_on_sqlite_a_task_sent_wakes_the_waiting_pusher_before_its_poll(
    sqlite_broker, own_queue, send
):
    assert isinstance(own_queue, SqliteBroker)
    if send == "one task":
        in_a_thread_after(0.3, lambda: async_task(PAGE_TASK, 5, task_name="page 5"))
    else:
        in_a_thread_after(0.3, lambda: tasks_send(func=PAGE_TASK, ids=[5, 6], label="page"))
    started = time.monotonic()

    assert own_queue.dequeue() is None  # nothing there yet: it waited, and was woken
    waited = time.monotonic() - started
    assert 0.25 <= waited < 1.5
    assert queued(own_queue)[0] == (PAGE_TASK, (5,), "page 5")


def test_on_sqlite_an_empty_queue_is_looked_at_again_after_the_poll(sqlite_broker, own_queue):
    started = time.monotonic()

    assert own_queue.dequeue() is None

    assert 1.8 <= time.monotonic() - started < 4


def test_on_sqlite_the_pusher_takes_a_bulk_of_tasks_in_one_write_in_order(
    sqlite_broker, own_queue, monkeypatch
):
    monkeypatch.setattr(Conf, "BULK", 3)
    tasks_send(func=PAGE_TASK, ids=[1, 2, 3, 4], label="page")

    with CaptureQueriesContext(connection) as queries:
        taken = own_queue.dequeue()

    writes = [q for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(writes) == 1
    assert [SignedPackage.loads(payload)["args"] for _, payload in taken] == [(1,), (2,), (3,)]
    assert [task[1] for task in queued(own_queue)] == [(4,)]  # the taken ones are locked


def test_on_sqlite_tasks_another_cluster_took_meanwhile_are_left_to_it(
    sqlite_broker, own_queue, monkeypatch
):
    """Between the pusher's look and its take, another cluster took the first task."""
    monkeypatch.setattr(Conf, "BULK", 3)
    tasks_send(func=PAGE_TASK, ids=[1, 2, 3], label="page")
    first = OrmQ.objects.filter(key=own_queue.list_key).order_by("pk").first()
    atomic = transaction.atomic

    def the_other_cluster_first(*args, **kwargs):
        monkeypatch.setattr(transaction, "atomic", atomic)
        OrmQ.objects.filter(pk=first.pk).update(lock=timezone.now() + timedelta(minutes=5))
        return atomic(*args, **kwargs)

    monkeypatch.setattr(transaction, "atomic", the_other_cluster_first)

    taken = own_queue.dequeue()

    assert [SignedPackage.loads(payload)["args"] for _, payload in taken] == [(2,), (3,)]
    assert queued(own_queue) == []

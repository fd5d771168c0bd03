"""The SQLite backend's write lock: writers take turns through `<database>.lock`, in the order
they asked, instead of SQLite's busy handler; readers never wait; a dead holder frees it."""

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connections, transaction
from django.db.utils import ConnectionHandler

from config.sqlite.base import DatabaseWrapper, WriteLock

HOLD_SECONDS = 0.4
# SQLite's own wait for its write lock, far shorter than a holder's transaction: a writer that
# did not wait on the lock file first fails with "database is locked".
BUSY_TIMEOUT = 0.05


ALIAS = "locktest"


def sqlite_settings(path: str, *, timeout: float = BUSY_TIMEOUT) -> dict:
    """A database of the test's own, opened as settings open the embedded default."""
    return ConnectionHandler(
        {
            "default": {
                "ENGINE": "config.sqlite",
                "NAME": path,
                "OPTIONS": {
                    "transaction_mode": "IMMEDIATE",
                    "timeout": timeout,
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                },
            }
        }
    ).settings["default"]


@pytest.fixture
def lockdb(tmp_path, django_db_blocker):
    """A file database with one table, as one more alias of django.db.connections (so that
    transaction.atomic(using=ALIAS) works); each thread gets a connection of its own."""
    path = str(tmp_path / "lock.sqlite3")
    connections.settings[ALIAS] = sqlite_settings(path)
    with django_db_blocker.unblock():
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
            cursor.execute("INSERT INTO t (id, v) VALUES (1, 0)")
        connections[ALIAS].close()
        yield path
    del connections[ALIAS]  # this thread's connection object, made for this path
    del connections.settings[ALIAS]


def in_thread(work) -> dict:
    """Run `work(connection)` in a thread of its own; its result or error, and when it ended."""
    out: dict = {}

    def run() -> None:
        connection = connections[ALIAS]
        try:
            out["result"] = work(connection)
        except Exception as exc:  # handed to the test
            out["error"] = exc
        finally:
            out["ended"] = time.monotonic()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    out["thread"] = thread
    return out


def holding_a_write(seconds: float = HOLD_SECONDS) -> dict:
    """A thread that writes in a transaction and keeps it open for `seconds`."""
    began = threading.Event()

    def write(connection) -> None:
        with transaction.atomic(using=ALIAS):
            with connection.cursor() as cursor:
                cursor.execute("UPDATE t SET v = v + 1 WHERE id = 1")
            began.set()
            time.sleep(seconds)

    out = in_thread(write)
    assert began.wait(5)
    return out


def lock_is_free(path: str) -> bool:
    """Whether an exclusive flock on the lock file can be had now (and give it back)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # gives the flock back, if taken
    return True


def value(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT v FROM t WHERE id = 1")
        return cursor.fetchone()[0]


def test_a_second_writer_waits_for_the_first_to_commit_instead_of_failing(lockdb):
    holder = holding_a_write()

    def write(connection) -> int:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("UPDATE t SET v = v * 10 WHERE id = 1")
        return value(connection)

    second = in_thread(write)
    holder["thread"].join()
    second["thread"].join()

    assert "error" not in second
    assert "error" not in holder
    assert second["result"] == 10  # (0 + 1) x 10: after the first's commit
    assert second["ended"] >= holder["ended"]


def test_without_the_lock_file_sqlite_alone_refuses_the_second_writer(lockdb, monkeypatch):
    # The same two writers with the lock left out: what the lock saves them from.
    monkeypatch.setattr(WriteLock, "acquire", lambda self: None)
    holder = holding_a_write()

    def write(connection) -> None:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("UPDATE t SET v = v * 10 WHERE id = 1")

    second = in_thread(write)
    holder["thread"].join()
    second["thread"].join()

    assert isinstance(second["error"], OperationalError)
    assert "locked" in str(second["error"])


def test_a_write_outside_a_transaction_waits_its_turn_too(lockdb):
    holder = holding_a_write()

    def write(connection) -> int:  # autocommit: one statement, committed as it ends
        with connection.cursor() as cursor:
            cursor.execute("UPDATE t SET v = v * 10 WHERE id = 1")
        return value(connection)

    second = in_thread(write)
    holder["thread"].join()
    second["thread"].join()

    assert second.get("result") == 10, second.get("error")


def test_readers_do_not_wait_for_a_writer(lockdb):
    holder = holding_a_write()
    started = time.monotonic()

    reader = in_thread(value)
    reader["thread"].join()

    assert reader["result"] == 0  # the committed value, read while the write is open
    assert reader["ended"] - started < HOLD_SECONDS / 2
    holder["thread"].join()


def test_a_rolled_back_transaction_gives_the_lock_back(lockdb):
    def fail(connection) -> None:
        with transaction.atomic(using=ALIAS):
            with connection.cursor() as cursor:
                cursor.execute("UPDATE t SET v = 99 WHERE id = 1")
            raise RuntimeError("rolled back")

    failed = in_thread(fail)
    failed["thread"].join()

    assert isinstance(failed["error"], RuntimeError)
    assert lock_is_free(lockdb + ".lock")
    reader = in_thread(value)
    reader["thread"].join()
    assert reader["result"] == 0


HOLD_AND_DIE = """
import os, sys, django
from django.conf import settings
settings.configure(DATABASES={"default": {"ENGINE": "config.sqlite", "NAME": sys.argv[1],
    "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20}}}, USE_TZ=True)
django.setup()
from django.db import connection, transaction
transaction.atomic().__enter__()
connection.cursor().execute("UPDATE t SET v = 5 WHERE id = 1")
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_killed_holder_leaves_the_lock_free(lockdb, tmp_path):
    path = lockdb
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_DIE, path],
        cwd=Path(__file__).resolve().parents[2],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert not lock_is_free(path + ".lock")  # the other process holds it
        holder.kill()
        holder.wait(5)
        assert lock_is_free(path + ".lock")  # the kernel gave it back with the process
    finally:
        holder.kill()
        holder.wait(5)

    def write(connection) -> int:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE t SET v = v + 1 WHERE id = 1")
        return value(connection)

    writer = in_thread(write)
    writer["thread"].join()
    assert writer.get("result") == 1, writer.get("error")  # the dead holder's 5 never committed


def test_an_in_memory_database_has_no_lock_file(tmp_path, django_db_blocker):
    connections.settings[ALIAS] = sqlite_settings(":memory:")
    try:
        with django_db_blocker.unblock():
            connection = connections[ALIAS]
            with transaction.atomic(using=ALIAS), connection.cursor() as cursor:
                cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
                cursor.execute("INSERT INTO t (id) VALUES (1)")
            assert isinstance(connection, DatabaseWrapper)
            assert connection.write_lock is None
            connection.close()
    finally:
        del connections[ALIAS]
        del connections.settings[ALIAS]
    assert not list(tmp_path.iterdir())

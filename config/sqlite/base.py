"""Django's SQLite backend, with writers taking turns through a lock file instead of SQLite's
busy handler.

SQLite lets one connection write at a time. A connection that finds the write lock taken
sleeps in SQLite's busy handler for 1, 2, 5, 10, 15, 20, 25, … 100 ms between looks, so when
many processes write at once (a deck's first pages: 18 workers, ~15 statements each) an unlucky
one keeps sleeping past the moments the lock is free: 18 processes of 15 short write
transactions each finished in 0.12-0.34 s that way and in 0.08-0.12 s taking an exclusive
`flock` first (the kernel wakes the next waiter as the lock is given back), the slowest
transaction's wait 0.11-0.33 s against 0.02-0.05, 5 runs each, a throwaway script (README "Workers").

So every write transaction (Django opens them with BEGIN IMMEDIATE: settings'
transaction_mode) and every write statement outside one takes an exclusive `flock` on
`<database file>.lock` first and gives it back with its commit or rollback. The kernel gives
the lock back when a process dies, so a killed worker never leaves it held. Reads take no
lock (WAL: they never wait for a writer). The wait for the lock has no timeout of its own: it
is held only while a write transaction is open, as SQLite's own write lock is. An in-memory
database (the test suite's) has no file to lock and keeps SQLite's busy handler.
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteLock:
    """An exclusive `flock` on a file of one connection's own (an open file description of
    its own, so that the threads of one process also take turns)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None
        self.held = False

    def acquire(self) -> None:
        if self.held:
            return
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class LockingCursorWrapper(base.SQLiteCursorWrapper):
    """A write statement outside a transaction (autocommit: it commits as it ends) holds the
    write lock while it runs."""

    write_lock: WriteLock | None = None

    def execute(self, query, params=None):
        if self._alone_writing(query):
            return self._locked(super().execute, query, params)
        return super().execute(query, params)

    def executemany(self, query, param_list):
        if self._alone_writing(query):
            return self._locked(super().executemany, query, param_list)
        return super().executemany(query, param_list)

    def _alone_writing(self, query: str) -> bool:
        return (
            self.write_lock is not None
            and not self.write_lock.held
            and not self.connection.in_transaction
            and query.lstrip()[:7].upper().startswith(WRITES)
        )

    def _locked(self, run, query, params):
        self.write_lock.acquire()
        try:
            return run(query, params)
        finally:
            self.write_lock.release()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.write_lock: WriteLock | None = None

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            self.write_lock = WriteLock(f"{conn_params['database']}.lock")
        return connection

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=LockingCursorWrapper)
        cursor.write_lock = self.write_lock
        return cursor

    def _start_transaction_under_autocommit(self) -> None:
        if self.write_lock is None:
            super()._start_transaction_under_autocommit()
            return
        self.write_lock.acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self.write_lock.release()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._release()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._release()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            if self.write_lock is not None:
                self.write_lock.close()
                self.write_lock = None

    def _release(self) -> None:
        open_transaction = self.connection is not None and self.connection.in_transaction
        if self.write_lock is not None and not open_transaction:
            self.write_lock.release()

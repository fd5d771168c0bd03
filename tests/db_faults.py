"""A database that fails the way SQLite does under contention, for the tests of what
retries it."""

from collections.abc import Callable

from django.db import OperationalError


class RefusedDeletes:
    """A database that refuses the first `times` deletes of provider slots (or other
    `statement`s on them, while `now()` says so), as SQLite does with "database table is
    locked" (an execute wrapper: Django's hook around each query)."""

    def __init__(
        self, times: int, statement: str = "DELETE", now: Callable[[], bool] = lambda: True
    ) -> None:
        self.times, self.statement, self.now = times, statement, now

    def __call__(self, execute, sql, params, many, context):
        refuse = sql.startswith(self.statement) and "providercall" in sql and self.now()
        if self.times and refuse:
            self.times -= 1
            raise OperationalError("database table is locked")
        return execute(sql, params, many, context)

"""A database that fails the way SQLite does under contention, for the tests of what
retries it."""

from django.db import OperationalError


class RefusedDeletes:
    """A database that refuses the first `times` deletes of provider slots, as SQLite does
    with "database table is locked" (an execute wrapper: Django's hook around each query)."""

    def __init__(self, times: int) -> None:
        self.times = times

    def __call__(self, execute, sql, params, many, context):
        if self.times and sql.startswith("DELETE") and "providercall" in sql:
            self.times -= 1
            raise OperationalError("database table is locked")
        return execute(sql, params, many, context)

"""Real stacks for tests that start clusters in child processes: SQLite + the ORM broker, or
PostgreSQL + Redis (skipped, with the reason, where those servers are absent), each with a
database of the test's own, and a way to read it as an operator would."""

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import isolated_env

PG_SERVER = os.environ.get(
    "POSTGRES_TEST_URL", "postgres://postgres@127.0.0.1:5432/nanodeck"
).rsplit("/", 1)[0]
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")
KNOWN_STACKS = ("sqlite", "postgres+redis")
# The stacks this pass starts clusters on: `make test` runs the PostgreSQL + Redis ones in its
# PostgreSQL pass and the SQLite ones in the other (the two run side by side); alone, both.
STACKS = os.environ.get("TEST_STACKS", ",".join(KNOWN_STACKS)).split(",")
if unknown := set(STACKS) - set(KNOWN_STACKS):
    raise ValueError(f"TEST_STACKS: unknown {sorted(unknown)}; known: {', '.join(KNOWN_STACKS)}")


class Database:
    """Reads the workers' database directly, the way an operator would."""

    def __init__(self, kind: str, location: str) -> None:
        self.kind, self.location = kind, location

    def rows(self, sql: str, *params) -> list[tuple]:
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(self.location, timeout=20)) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.location) as conn:
            return conn.execute(sql, params).fetchall()


@contextlib.contextmanager
def real_stack(
    kind: str, tmp_path: Path, label: str, **env: str
) -> Iterator[tuple[dict, Database]]:
    """The child processes' environment (`env` added, a cluster name of its own) and their
    database, dropped afterwards."""
    found = isolated_env(tmp_path, Q_CLUSTER_NAME=f"{label}{uuid.uuid4().hex[:8]}", **env)
    if kind == "sqlite":
        found["SQLITE_PATH"] = str(tmp_path / f"{label}.sqlite3")
        yield found, Database("sqlite", found["SQLITE_PATH"])
        return
    psycopg = pytest.importorskip("psycopg")
    redis = pytest.importorskip("redis")
    name = f"nanodeck_{label}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except (psycopg.OperationalError, redis.exceptions.ConnectionError) as exc:
        pytest.skip(f"PostgreSQL at {PG_SERVER} or Redis at {REDIS_URL} is not reachable: {exc}")
    found.update(DATABASE_URL=f"{PG_SERVER}/{name}", REDIS_URL=REDIS_URL, DB_CONN_MAX_AGE="0")
    try:
        yield found, Database("postgres", found["DATABASE_URL"])
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

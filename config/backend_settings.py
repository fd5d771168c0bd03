"""Which database, cache and task broker: the embedded defaults (SQLite, local memory, the
django-q2 ORM broker) unless DATABASE_URL (PostgreSQL) and REDIS_URL (cache and broker) are set;
the django-q2 cluster's configuration (README "Configuration", "Workers")."""

from pathlib import Path

import dj_database_url

from config.env import env_int, env_str


def databases(database_url: str, *, sqlite_default: Path) -> dict:
    """SQLite (WAL, busy timeout, IMMEDIATE transactions) unless `database_url` is set."""
    if database_url:
        return {
            "default": dj_database_url.parse(
                database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0)
            )
        }
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH") or str(sqlite_default),
            # Kept open between tasks too: a worker opened one per task (~3 ms of CPU each).
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60, minimum=0),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }


def caches(redis_url: str) -> dict:
    """Redis when `redis_url` is set, else local memory."""
    if redis_url:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
            }
        }
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def q_cluster(*, redis_url: str, database_url: str) -> dict:
    """django-q2's Q_CLUSTER: the Redis broker when `redis_url` is set, else the ORM broker."""
    cluster = {
        "name": env_str("Q_CLUSTER_NAME") or "nanodeck",
        "workers": env_int("Q_WORKERS", 2, minimum=1),
        "timeout": env_int("Q_TIMEOUT", 600, minimum=10),
        "retry": env_int("Q_TIMEOUT", 600, minimum=10) + 120,
        "max_attempts": 1,
        "catch_up": False,
        # The ORM broker's pause when its queue is empty (Redis blocks instead): a deck waits for
        # it twice before its first page (plan, then pages); 0.05 s costs ~0.7% of a core idle.
        "poll": 0.05,
        "ack_failures": True,
        # No pruning on every result: with a limit, each saved result read the whole success
        # table under a lock. The daily cleanup deletes the history after RETENTION_DAYS.
        "save_limit": 0,
        "label": "Task queue",
    }
    # How many tasks the cluster's pusher takes from the broker ahead of its workers (django-q2's
    # default: workers squared, i.e. a whole deck's page tasks at once). Taken ahead, a task waits in
    # the cluster's memory, where a dead cluster loses it until the sweeper; and on SQLite the
    # pusher's 100 dequeue writes at a deck's start queued with its first pages' writes.
    cluster["queue_limit"] = 2 * cluster["workers"]
    # How many tasks the ORM broker takes in one go (django-q2's default: 1, a look and a write per
    # task). On SQLite (services/queue.py's SqliteBroker) one transaction takes them all.
    cluster["bulk"] = cluster["workers"]
    if redis_url:
        cluster["redis"] = redis_url
    else:
        cluster["orm"] = "default"
        if (
            not database_url
        ):  # SQLite: a sent task wakes the cluster through a pipe (services/queue.py)
            cluster["broker_class"] = "generation.services.queue.SqliteBroker"
    return cluster

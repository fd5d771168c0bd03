"""A broker (Redis) outage at enqueue time: the API answers 503, the CLI one line, nothing is
stored half-queued, and the sweeper queues batches whose task never reached a worker.

The outage is real: the broker (and, for the throttle, the cache) points at a local port
nobody listens on, so the Redis client gets "connection refused"."""

import socket
import sqlite3
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf

from generation.cluster import ROOT
from generation.models import Batch, BatchStatus
from generation.services.sweeper import sweep
from tests.factories import EN_OUTLINE, SlideTemplateFactory, UserFactory, make_batch
from tests.generation.batch_api import BATCHES, error_of, token_client
from tests.processes import isolated_env, manage

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A local TCP port with nobody listening: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dead_redis_url() -> str:
    return f"redis://127.0.0.1:{closed_port()}/0"


@pytest.fixture
def broker_down(monkeypatch, dead_redis_url):
    """django-q2 reads Q_CLUSTER once at import (its Conf): point that at the dead Redis, as
    `Q_CLUSTER = {"redis": REDIS_URL}` would."""
    monkeypatch.setattr(Conf, "BROKER_CLASS", None)  # SQLite's own (services/queue.py)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", dead_redis_url)
    monkeypatch.setattr(Conf, "DJANGO_REDIS", None)


@pytest.fixture
def api():
    SlideTemplateFactory(slug="business")
    return token_client(UserFactory())


def test_creating_a_batch_while_the_broker_is_down_answers_503_and_stores_nothing(api, broker_down):
    response = api.post(BATCHES, {"outline": EN_OUTLINE, "template": "business"})

    assert response.status_code == 503
    error = error_of(response)
    assert error["code"] == "broker_unavailable"
    assert "task queue" in error["message"]
    assert response["Retry-After"]
    assert not Batch.objects.exists()


def test_a_redis_outage_that_takes_the_throttle_cache_down_too_answers_503(
    api, broker_down, dead_redis_url, settings
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": dead_redis_url,
        }
    }

    response = api.post(BATCHES, {"outline": EN_OUTLINE, "template": "business"})

    assert response.status_code == 503
    assert error_of(response)["code"] == "broker_unavailable"
    assert not Batch.objects.exists()


def test_generate_deck_async_with_the_broker_down_fails_in_one_line_and_stores_nothing(
    tmp_path, dead_redis_url
):
    env = isolated_env(tmp_path, SQLITE_PATH=str(tmp_path / "outage.sqlite3"))
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_starter_templates")
    outline = tmp_path / "outline.md"
    outline.write_text(EN_OUTLINE, encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "manage.py", "generate_deck", str(outline), "--async"],
        cwd=ROOT,
        env={**env, "REDIS_URL": dead_redis_url, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "task queue" in lines[0]
    assert "nothing was stored" in lines[0]
    with sqlite3.connect(env["SQLITE_PATH"]) as db:
        assert db.execute("SELECT count(*) FROM generation_batch").fetchone() == (0,)


def test_the_sweeper_queues_a_pending_batch_whose_task_never_reached_a_worker(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.NANODECK = {**settings.NANODECK, "REQUEUE_AFTER_SECONDS": 60}
    monkeypatch.setattr(Conf, "CLUSTER_NAME", f"test{uuid.uuid4().hex[:8]}")  # a queue of its own
    broker = get_broker()
    broker.purge_queue()
    with django_capture_on_commit_callbacks(execute=True):
        lost = make_batch(enqueue=True)
        fresh = make_batch(enqueue=True)
        make_batch()  # not queued at all: run in-process (the CLI without --async)
    assert lost.queued_at is not None
    broker.purge_queue()  # e.g. Redis restarted without persistence: the tasks are gone
    Batch.objects.filter(pk=lost.pk).update(queued_at=timezone.now() - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        result = sweep()

    assert result["requeued_batches"] == 1
    assert broker.queue_size() == 1
    lost.refresh_from_db()
    assert lost.status == BatchStatus.PENDING
    assert lost.queued_at > timezone.now() - timedelta(seconds=30)
    fresh.refresh_from_db()
    assert fresh.queued_at < lost.queued_at
    broker.delete_queue()


def test_the_admin_add_form_says_the_queue_is_down_and_stores_nothing(admin_client, broker_down):
    template = SlideTemplateFactory()

    response = admin_client.post(
        "/admin/generation/batch/add/",
        {
            "outline": EN_OUTLINE,
            "template": template.pk,
            "size": "1536x864",
            "quality": "standard",
            "provider": "local",
        },
    )

    assert response.status_code == 200
    assert "task queue" in response.content.decode()
    assert not Batch.objects.exists()


def test_the_admin_run_action_says_the_queue_is_down(admin_client, broker_down):
    batch = make_batch()  # pending, never queued

    response = admin_client.post(
        "/admin/generation/batch/",
        {"action": "run_in_worker", "_selected_action": [batch.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "task queue" in response.content.decode()
    batch.refresh_from_db()
    assert (batch.status, batch.queued_at) == (BatchStatus.PENDING, None)

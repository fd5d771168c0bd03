"""/healthz (the process answers) and /readyz (database, broker and storage answer), with
real unreachable dependencies: a local port nobody listens on."""

import json
import subprocess
import sys

import pytest

from generation.cluster import ROOT
from tests.generation.test_broker_outage import closed_port
from tests.processes import isolated_env

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_without_authentication_or_a_database_query(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_answers_200_when_database_broker_and_storage_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }


def test_readyz_answers_503_naming_the_broker_when_redis_is_unreachable(client, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": f"redis://127.0.0.1:{closed_port()}/0"}

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["down"] == ["broker"]
    assert body["checks"] == {"database": "ok", "broker": "down", "storage": "ok"}


def readyz_in_a_process(tmp_path, **env: str) -> tuple[int, dict]:
    """GET /readyz in a fresh process whose settings point where `env` says."""
    script = (
        "from django.test import Client; r = Client().get('/readyz'); "
        "print(r.status_code, r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=ROOT,
        env=isolated_env(tmp_path, ALLOWED_HOSTS="testserver", LOG_LEVEL="ERROR", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    return int(status), json.loads(body)


def test_readyz_answers_503_naming_the_database_and_its_orm_broker_when_it_is_unreachable(
    tmp_path,
):
    status, body = readyz_in_a_process(
        tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/nanodeck"
    )

    assert status == 503
    assert body["down"] == ["database", "broker"]


def test_readyz_answers_503_naming_the_storage_when_s3_is_unreachable(tmp_path):
    status, body = readyz_in_a_process(
        tmp_path,
        SQLITE_PATH=str(tmp_path / "ready.sqlite3"),
        S3_BUCKET="media",
        S3_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}",
        S3_ACCESS_KEY_ID="test",
        S3_SECRET_ACCESS_KEY="test",
    )

    assert status == 503
    assert body["down"] == ["storage"]


def test_readyz_refuses_writes(client):
    assert client.post("/readyz").status_code == 405

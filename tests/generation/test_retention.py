"""Deleting a batch removes it with its files; a scheduled cleanup removes what RETENTION_DAYS
has expired (finished batches and their files, the task queue's history) and batch folders
that no batch owns."""

import io
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule, Task
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import Batch, BatchStatus, IdempotentRequest, Page, StepRun
from generation.services.batches import batch_run
from generation.services.retention import expired_cleanup
from review.models import Evaluation
from tests.factories import SlideTemplateFactory, UserFactory, make_batch, make_judged_runs

pytestmark = pytest.mark.django_db

SHORT_OUTLINE = "# Short deck\n\n### One\n- a\n- b\n\n### Two\n- c\n- d\n"


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def folder(settings, batch) -> Path:
    return Path(settings.MEDIA_ROOT) / "batches" / str(batch.pk)


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def finished(owner=None, *, days_ago: float = 0, template=None) -> Batch:
    batch = batch_run(batch=make_batch(outline=SHORT_OUTLINE, owner=owner, template=template))
    Batch.objects.filter(pk=batch.pk).update(finished_at=timezone.now() - timedelta(days=days_ago))
    return batch


def task_row(*, days_ago: float, success: bool) -> Task:
    stopped = timezone.now() - timedelta(days=days_ago)
    return Task.objects.create(
        id=uuid.uuid4().hex,
        name=f"task {uuid.uuid4().hex[:6]}",
        func="generation.tasks.run_page",
        started=stopped - timedelta(seconds=1),
        stopped=stopped,
        success=success,
    )


# --- DELETE /api/v1/batches/{id}/ ----------------------------------------------------------


def test_deleting_a_finished_batch_removes_it_with_every_file(
    settings, django_capture_on_commit_callbacks
):
    user = UserFactory()
    template = SlideTemplateFactory()
    batch = finished(user, template=template)
    assert len(files_under(folder(settings, batch))) > 2 * batch.total_pages  # images + copy

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).delete(f"/api/v1/batches/{batch.pk}/")

    assert response.status_code == 204
    assert not Batch.objects.filter(pk=batch.pk).exists()
    assert not Page.objects.exists()
    assert not StepRun.objects.exists()
    assert not folder(settings, batch).exists()
    assert Path(template.reference_image.path).exists()  # the template keeps its own image


def test_another_user_gets_404_and_staff_may_delete_any_batch(
    settings, django_capture_on_commit_callbacks
):
    batch = finished(UserFactory())

    response = client_for(UserFactory()).delete(f"/api/v1/batches/{batch.pk}/")
    assert response.status_code == 404
    assert Batch.objects.filter(pk=batch.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(UserFactory(is_staff=True)).delete(f"/api/v1/batches/{batch.pk}/")
    assert response.status_code == 204
    assert not folder(settings, batch).exists()


def test_a_running_batch_is_a_conflict_until_it_is_cancelled(
    settings, django_capture_on_commit_callbacks
):
    user = UserFactory()
    batch = make_batch(outline=SHORT_OUTLINE, owner=user)
    api = client_for(user)

    response = api.delete(f"/api/v1/batches/{batch.pk}/")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert "cancel it first" in error["message"]
    assert Batch.objects.filter(pk=batch.pk).exists()
    assert files_under(folder(settings, batch))  # the template copy is still there
    assert api.post(f"/api/v1/batches/{batch.pk}/cancel/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/batches/{batch.pk}/").status_code == 204
    assert not folder(settings, batch).exists()


# --- the scheduled cleanup -----------------------------------------------------------------


def test_the_cleanup_removes_what_retention_days_expired(
    settings, django_capture_on_commit_callbacks
):
    settings.NANODECK = {**settings.NANODECK, "RETENTION_DAYS": 30}
    old = finished(days_ago=31)
    make_judged_runs([4.0, 8.0], batch=old)  # reviewed outputs go with their batch
    recent = finished(days_ago=29)
    old_but_running = make_batch(outline=SHORT_OUTLINE)
    Batch.objects.filter(pk=old_but_running.pk).update(
        status=BatchStatus.RUNNING, created_at=timezone.now() - timedelta(days=90)
    )
    old_tasks = [task_row(days_ago=31, success=True), task_row(days_ago=40, success=False)]
    recent_task = task_row(days_ago=1, success=False)
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("cleanup", stdout=out)

    assert "batches=1 files=" in out.getvalue()
    assert "tasks=2" in out.getvalue()
    assert set(Batch.objects.values_list("pk", flat=True)) == {recent.pk, old_but_running.pk}
    assert not folder(settings, old).exists()
    assert not Evaluation.objects.exists()
    assert files_under(folder(settings, recent))
    assert files_under(folder(settings, old_but_running))
    assert not Task.objects.filter(pk__in=[task.pk for task in old_tasks]).exists()
    assert Task.objects.filter(pk=recent_task.pk).exists()


def test_retention_days_0_keeps_batches_and_tasks_forever(
    settings, django_capture_on_commit_callbacks
):
    settings.NANODECK = {**settings.NANODECK, "RETENTION_DAYS": 0}
    old = finished(days_ago=3650)
    task_row(days_ago=3650, success=True)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("cleanup", stdout=io.StringIO())

    assert Batch.objects.filter(pk=old.pk).exists()
    assert files_under(folder(settings, old))
    assert Task.objects.count() == 1


def test_the_cleanup_removes_batch_folders_no_batch_owns_once_they_are_an_hour_old(settings):
    """A template copy left behind (a batch whose creation failed, or deleted elsewhere) goes;
    one younger than an hour may belong to a batch being created right now and stays."""
    batch = finished()
    root = Path(settings.MEDIA_ROOT) / "batches"
    stale, fresh = root / str(uuid.uuid4()), root / str(uuid.uuid4())
    for path in (stale / "reference-0.png", fresh / "reference-0.png", stale / "pages" / "1.png"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"png")
    two_hours_ago = time.time() - 7200
    for path in files_under(stale):
        os.utime(path, (two_hours_ago, two_hours_ago))
    out = io.StringIO()

    call_command("cleanup", stdout=out)

    assert "orphan_folders=1" in out.getvalue()
    assert not stale.exists()
    assert files_under(fresh)
    assert files_under(folder(settings, batch))


def test_the_cleanup_is_scheduled_daily_by_a_migration():
    schedule = Schedule.objects.get(name="nanodeck cleanup")

    assert schedule.func == "generation.tasks.cleanup_expired"
    assert (schedule.schedule_type, schedule.repeats) == (Schedule.DAILY, -1)


@pytest.fixture
def s3_storage(settings):
    """Media on S3-compatible object storage: a moto server on the loopback interface."""
    moto_server = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    options = {
        "bucket_name": "media",
        "endpoint_url": f"http://{host}:{port}",
        "region_name": "us-east-1",
        "access_key": "test",
        "secret_key": "test",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(Bucket="media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    yield s3
    server.stop()


def test_deleting_a_batch_removes_its_objects_from_s3_storage(
    s3_storage, django_capture_on_commit_callbacks
):
    user = UserFactory()
    batch = finished(user)
    kept = finished(user)

    def keys(batch) -> list[str]:
        listed = s3_storage.list_objects_v2(Bucket="media", Prefix=f"batches/{batch.pk}/")
        return [item["Key"] for item in listed.get("Contents", [])]

    assert len(keys(batch)) > 2 * batch.total_pages

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).delete(f"/api/v1/batches/{batch.pk}/")

    assert response.status_code == 204
    assert keys(batch) == []
    assert len(keys(kept)) > 2 * kept.total_pages


def test_answers_kept_for_idempotency_keys_expire_after_their_hours(settings):
    settings.NANODECK = {**settings.NANODECK, "IDEMPOTENCY_TTL_HOURS": 24}
    user = UserFactory()
    now = timezone.now()
    for key, hours in (("old", 25), ("recent", 23)):
        claim = IdempotentRequest.objects.create(user=user, key=key, scope="batch-create")
        IdempotentRequest.objects.filter(pk=claim.pk).update(
            created_at=now - timedelta(hours=hours)
        )

    result = expired_cleanup(now=now)

    assert result["idempotency_keys"] == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["recent"]

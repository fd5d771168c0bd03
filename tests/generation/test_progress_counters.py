"""Progress reads counters that database triggers keep up to date, instead of counting pages
and step runs on every poll. The counters must equal a recount after every kind of change."""

from datetime import timedelta

import pytest
from django.db.models import Count, Q, Sum
from django.utils import timezone

from generation.models import Batch, BatchCounters, Page, StepRun
from generation.selectors import batch_progress
from generation.services.batches import batch_cancel, batch_plan, batch_retry_failed
from generation.services.page_actions import page_regenerate
from generation.services.pages import page_claim, page_run
from generation.services.sweeper import sweep
from generation.tasks import run_page
from tests.factories import make_batch
from tests.generation.batch_api import BATCHES, token_client

pytestmark = pytest.mark.django_db

STATUSES = ("pending", "running", "held", "completed", "failed", "cancelled")
PAGE_STEPS = ("describe", "render", "finish")


def recount(batch: Batch) -> dict:
    """What the counters must say, counted from the rows (the old way)."""
    pages = Page.objects.filter(batch=batch)
    counts = pages.aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in STATUSES},
        waiting=Count("id", filter=Q(status="pending") & ~Q(waiting_for="")),
        **{
            f"{step}_running": Count("id", filter=Q(status="running", current_step=step))
            for step in PAGE_STEPS
        },
    )
    runs = StepRun.objects.filter(batch=batch)
    counts.update(
        runs.aggregate(
            **{
                f"{step}_done": Count("id", filter=Q(selected=True, page__isnull=False, step=step))
                for step in PAGE_STEPS
            },
            cost_usd=Sum("cost_usd"),
        )
    )
    counts["cost_usd"] = round(counts["cost_usd"] or 0.0, 6)
    return counts


def counters(batch: Batch) -> dict:
    row = BatchCounters.objects.filter(batch=batch).values().get()
    row.pop("batch_id")
    row["cost_usd"] = round(row["cost_usd"], 6)
    return row


def assert_counted(batch: Batch) -> None:
    assert counters(batch) == recount(batch)


def test_counters_follow_every_page_transition(django_capture_on_commit_callbacks):
    batch = make_batch()
    assert_counted(batch)  # created with the batch
    batch = batch_plan(batch=batch)
    first, second, third, *rest = batch.pages.order_by("index")
    assert counters(batch)["pending"] == batch.pages.count()

    page_claim(page_id=first.pk, worker="w1")  # pending -> running
    assert_counted(batch)
    page_run(page=Page.objects.get(pk=first.pk), worker="w1")  # steps, outputs -> completed
    assert_counted(batch)
    assert counters(batch)["render_done"] == 1

    Page.objects.filter(pk=second.pk).update(status="failed", error="boom")  # any writer
    assert_counted(batch)
    with django_capture_on_commit_callbacks(execute=False):
        batch_retry_failed(batch=batch)  # failed -> pending
    assert_counted(batch)

    Page.objects.filter(pk=third.pk).update(waiting_for="kie")  # waiting for a provider
    assert_counted(batch)
    assert counters(batch)["waiting"] == 1

    with django_capture_on_commit_callbacks(execute=False):
        page_regenerate(page=first, from_step="render")  # completed -> pending, outputs kept
    assert_counted(batch)
    run_page(first.pk)  # a new render output replaces the selected one
    assert_counted(batch)
    assert counters(batch)["render_done"] == 1

    page_claim(page_id=rest[0].pk, worker="dead")  # a lease expires: the sweeper frees it
    Page.objects.filter(pk=rest[0].pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=False):
        sweep()
    assert_counted(batch)

    batch_cancel(batch=batch)  # pending -> cancelled
    assert_counted(batch)
    assert counters(batch)["cancelled"] == batch.pages.filter(status="cancelled").count() > 0


def test_counters_follow_a_held_page_and_step_runs_deleted_with_their_page():
    batch = batch_plan(batch=make_batch())
    page = batch.pages.order_by("index").first()
    page_run(page=page)
    Page.objects.filter(pk=page.pk).update(status="held")
    assert_counted(batch)

    StepRun.objects.filter(page=page).delete()
    page.delete()
    assert_counted(batch)

    batch.delete()
    assert not BatchCounters.objects.exists()


def test_progress_is_the_same_as_counting_while_pages_run(django_capture_on_commit_callbacks):
    batch = batch_plan(batch=make_batch())
    first, second, *_ = batch.pages.order_by("index")
    page_run(page=first)
    page_claim(page_id=second.pk, worker="w")
    Page.objects.filter(pk=second.pk).update(current_step="render")

    progress = batch_progress(batch=Batch.objects.get(pk=batch.pk))

    expected = recount(batch)
    assert progress["completed"] == expected["completed"] == 1
    assert progress["running"] == expected["running"] == 1
    assert progress["steps"]["render"] == {"done": 1, "running": 1}
    assert progress["pending"] == expected["pending"]
    assert progress["total"] == batch.pages.count()
    assert progress["cost_usd"] == round(expected["cost_usd"], 4)


def test_polling_progress_reads_one_batch_row_with_its_counters(django_assert_max_num_queries):
    batch = batch_plan(batch=make_batch())
    page_run(page=batch.pages.order_by("index").first())
    api = token_client(batch.owner or _owner(batch))

    # token, the batch with its counters, the recent page times for the ETA
    with django_assert_max_num_queries(3):
        response = api.get(f"{BATCHES}{batch.pk}/progress/")

    assert response.status_code == 200
    assert response.json()["completed"] == 1


def _owner(batch: Batch):
    from tests.factories import UserFactory

    owner = UserFactory()
    Batch.objects.filter(pk=batch.pk).update(owner=owner)
    return owner


def test_every_counter_trigger_survives_the_migrations():
    """SQLite changes a table by copying it, which drops its triggers silently: a migration
    that alters batches, pages or step runs must make them again."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {"generation_batch_counters"} | {
                f"generation_{table}_counters_{event}"
                for table in ("page", "steprun")
                for event in ("insert", "delete", "update")
            }
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = {"generation_batch_counters"} | {
                f"generation_{table}_counters_{event}"
                for table in ("page", "steprun")
                for event in ("insert_delete", "update")
            }
        names = {row[0] for row in cursor.fetchall()}

    assert expected <= names

import io

import pytest
from django_q.conf import Conf
from pptx import Presentation

from generation.models import Batch, StepPolicy, StepRun
from generation.services.batches import batch_run
from generation.tasks import plan_batch
from tests.factories import SlideTemplateFactory, make_batch
from tests.media import linked_names

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]


@pytest.fixture
def batch():
    return batch_run(batch=make_batch())


def test_the_batch_list_shows_status_progress_and_searches_titles(admin_client, batch):
    response = admin_client.get("/admin/generation/batch/?q=Remote&status__exact=completed")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Remote Work Playbook" in html
    assert (
        f'<progress class="nd-progress" value="{batch.total_pages}" max="{batch.total_pages}"'
        in html
    )


def test_the_batch_page_shows_page_thumbnails_and_batch_step_runs(admin_client, batch):
    response = admin_client.get(f"/admin/generation/batch/{batch.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert {page.thumbnail.name for page in batch.pages.all()} <= linked_names(html)
    assert "batch-level step runs" in html.lower()


def test_the_page_admin_shows_the_image_and_its_attempts(admin_client, batch):
    page = batch.pages.get(index=4)

    response = admin_client.get(f"/admin/generation/page/{page.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert page.image.name in linked_names(html)
    assert StepRun.objects.filter(page=page).count() >= 3
    assert "render" in html
    assert "describe" in html


def test_step_runs_can_be_filtered_by_step_and_outcome(admin_client, batch):
    response = admin_client.get("/admin/generation/steprun/?step__exact=render&passed__exact=1")
    assert response.status_code == 200


def test_step_policies_are_editable_from_the_list_except_the_threshold(admin_client):
    policy = StepPolicy.objects.get(step="render")
    before = policy.threshold
    data = {
        "form-TOTAL_FORMS": 1,
        "form-INITIAL_FORMS": 1,
        "form-0-id": policy.pk,
        "form-0-threshold": "7.5",
        "form-0-max_attempts": 4,
        "form-0-review_sample_rate": "0.1",
        "form-0-review_overlap": 2,
        "form-0-human_pass_mark": "7",
        "form-0-on_no_pass": "hold",
        "form-0-auto_calibrate": "on",
        "_save": "Save",
    }

    response = admin_client.post("/admin/generation/steppolicy/?step__exact=render", data)

    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.max_attempts, policy.on_no_pass, policy.review_overlap) == (4, "hold", 2)
    assert policy.auto_calibrate is True
    # Thresholds change through review's Thresholds page, which keeps the feedback history.
    assert policy.threshold == before


def test_a_threshold_outside_0_10_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        StepPolicy.objects.filter(step="render").update(threshold=11)


def test_the_run_action_queues_pending_batches_and_the_task_runs_them(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(Conf, "SYNC", True)  # django-q2 reads its settings once, at import
    pending = make_batch()
    done = batch_run(batch=make_batch())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(
            "/admin/generation/batch/",
            {"action": "run_in_worker", "_selected_action": [pending.pk, done.pk]},
            follow=True,
        )

    assert "Queued 1 batch(es); 1 not pending, left alone" in response.content.decode()
    queued = [callback.__qualname__.split(".")[0] for callback in callbacks]
    # plan the batch, then its pages (sampled outputs may also be sent to review)
    assert [name for name in queued if name.endswith("enqueue")] == [
        "batch_enqueue",
        "pages_enqueue",
    ]
    pending.refresh_from_db()
    assert pending.status == "completed"


def test_the_task_leaves_a_batch_that_is_not_pending_alone():
    from generation.tasks import plan_batch

    batch = batch_run(batch=make_batch())

    assert plan_batch(str(batch.pk)) == "skipped"
    assert plan_batch("00000000-0000-0000-0000-000000000000") == "skipped"
    assert StepRun.objects.filter(batch=batch, step="outline").count() == 1


def test_the_export_action_downloads_a_pptx(admin_client, batch):
    response = admin_client.post(
        "/admin/generation/batch/", {"action": "export_pptx", "_selected_action": [batch.pk]}
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="deck-{batch.pk}.pptx"'
    deck = b"".join(response.streaming_content)  # streamed from the file it was built in
    assert len(Presentation(io.BytesIO(deck)).slides) == batch.total_pages


def test_the_cancel_and_retry_actions_report_what_they_could_not_do(admin_client, batch):
    response = admin_client.post(
        "/admin/generation/batch/",
        {"action": "cancel_batches", "_selected_action": [batch.pk]},
        follow=True,
    )
    assert "already completed" in response.content.decode()

    response = admin_client.post(
        "/admin/generation/batch/",
        {"action": "retry_failed_pages", "_selected_action": [batch.pk]},
        follow=True,
    )
    assert "no failed page to retry" in response.content.decode()


def test_the_retry_action_queues_failed_pages(
    admin_client, batch, django_capture_on_commit_callbacks
):
    batch.pages.filter(index=2).update(status="failed")

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/generation/batch/",
            {"action": "retry_failed_pages", "_selected_action": [batch.pk]},
            follow=True,
        )

    assert "1 failed page(s) queued again" in response.content.decode()
    assert len(callbacks) == 1
    assert batch.pages.get(index=2).status == "pending"


def test_staff_create_a_batch_in_the_admin_through_the_service(
    admin_client, django_capture_on_commit_callbacks
):
    template = SlideTemplateFactory(slug="plain")

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/generation/batch/add/",
            {
                "title": "课堂",
                "outline": "# 课堂\n## 一\n- 甲\n## 二\n- 乙",
                "template": template.pk,
                "size": "1024x768",
                "quality": "standard",
                "provider": "local",
            },
        )

    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == "/admin/generation/batch/"
    assert (batch.title, batch.options["size"], batch.template_snapshot["slug"]) == (
        "课堂",
        "1024x768",
        "plain",
    )
    assert len(callbacks) == 1  # queued for the workers


def test_the_admin_add_form_refuses_an_unknown_provider_with_a_message(admin_client):
    template = SlideTemplateFactory()

    response = admin_client.post(
        "/admin/generation/batch/add/",
        {
            "outline": "# A\n## B\n- c",
            "template": template.pk,
            "size": "1536x864",
            "quality": "hd",
            "provider": "dalle",
        },
    )

    assert response.status_code == 200
    assert "unknown provider &#x27;dalle&#x27;" in response.content.decode()
    assert not Batch.objects.exists()


def test_the_approve_action_sends_a_paused_batch_on_and_says_what_it_left(
    admin_client, batch, django_capture_on_commit_callbacks
):
    paused = make_batch(options={"pause_after": "plan"})
    plan_batch(str(paused.pk))

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/generation/batch/",
            {"action": "approve_plans", "_selected_action": [paused.pk, batch.pk]},
            follow=True,
        )

    page = response.content.decode()
    assert "approved, its pages are queued" in page
    assert "the batch is completed; only a batch awaiting approval" in page
    # one send of the pages (with REDIS_URL, the events' wake-up message is queued too)
    assert [c.__qualname__.split(".")[0] for c in callbacks].count("pages_enqueue") == 1
    assert Batch.objects.get(pk=paused.pk).status == "running"

# The loopback `server` fixture is imported from the providers' conftest; test arguments that
# name it are not redefinitions.
"""Decks delivered by Gemini's Batch API (options.delivery = "batch") over real HTTP, against a
loopback server speaking the Batch API's wire format: the render requests of a deck wait
without a worker, go out in jobs of at most 20 MB, and come back from the jobs' inlined
responses at half the price."""

from __future__ import annotations

import base64
import io
import os

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from rest_framework.test import APIClient

from generation.models import Batch, BatchApiRequest, Page, PageStatus, StepRun
from generation.selectors import batch_progress
from generation.services.batches import batch_cancel, batch_plan
from generation.services.pages import page_run
from generation.tasks import run_gemini_batches
from tests.factories import SlideTemplateFactory, UserFactory, make_batch
from tests.generation.providers.conftest import API_KEY
from tests.generation.providers.fake_batch_api import FakeBatchApi, image_answer

pytestmark = pytest.mark.django_db

OUTLINE = "# Batch deck\n\n### One\n- alpha\n- beta\n\n### Two\n- gamma\n- delta\n"


@pytest.fixture
def api(server, settings) -> FakeBatchApi:
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "gemini": {
            "api_key": API_KEY,
            "base_url": server.url,
            # The configured default image model (Nano Banana Pro), whatever its current id.
            "image_model": settings.PROVIDER_SETTINGS["gemini"]["image_model"],
            "text_model": settings.PROVIDER_SETTINGS["gemini"]["text_model"],
        },
    }
    settings.PROVIDER_TIMEOUT_SECONDS = 5
    settings.NANODECK = {
        **settings.NANODECK,
        "OCR_ENABLED": False,
        "GEMINI_BATCH_GATHER_SECONDS": 0,
    }
    fake = FakeBatchApi()
    server.script(*[fake] * 200)
    return fake


def waiting_deck(api: FakeBatchApi, **kwargs: object) -> Batch:
    """A planned deck delivered by batch whose every page waits at its render step."""
    batch = batch_plan(
        batch=make_batch(
            outline=OUTLINE, options={"provider": "gemini", "delivery": "batch"}, **kwargs
        )
    )
    for page in batch.pages.all():
        page_run(page=page)
    api.pages = {page.image_prompt: (page.index, page.plan) for page in batch.pages.all()}
    return batch


def run_pages(batch: Batch) -> None:
    for page in batch.pages.filter(status=PageStatus.PENDING):
        page_run(page=page)


def renders(batch: Batch) -> list[StepRun]:
    return list(
        StepRun.objects.filter(batch=batch, step="render").order_by("page__index", "attempt")
    )


def test_a_deck_delivered_by_batch_waits_then_completes_at_half_the_price(api, server, settings):
    batch = waiting_deck(api)
    pages = list(batch.pages.all())
    assert {(page.status, page.waiting_for, page.lease_owner) for page in pages} == {
        (PageStatus.PENDING, "gemini", "")
    }
    assert server.received == []  # nothing goes out until the collector runs
    assert batch_progress(batch=batch)["provider_jobs"] == [
        {"name": "", "state": "gathering", "requests": len(pages)}
    ]

    run_gemini_batches()

    ((name, job),) = api.jobs.items()
    model = settings.PROVIDER_SETTINGS["gemini"]["image_model"]
    assert job["model"] == model
    entries = job["entries"]
    assert len(entries) == len(pages)
    assert {entry["metadata"]["key"] for entry in entries} == {
        run.external_id for run in renders(batch)
    }
    first = entries[0]["request"]
    assert first["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "1K"}
    reference = first["contents"][0]["parts"][1]["inline_data"]  # the template's image
    assert (reference["mime_type"], bool(base64.b64decode(reference["data"]))) == (
        "image/jpeg",
        True,
    )

    api.set_state("BATCH_STATE_RUNNING")
    run_gemini_batches()
    progress = batch_progress(batch=batch)
    assert progress["waiting_for_provider"] == len(pages)
    assert progress["provider_jobs"] == [
        {"name": name, "state": "BATCH_STATE_RUNNING", "requests": len(pages)}
    ]

    api.set_state("BATCH_STATE_SUCCEEDED")
    run_gemini_batches()
    run_pages(batch)

    batch.refresh_from_db()
    assert {page.status for page in batch.pages.all()} == {PageStatus.COMPLETED}
    for run in renders(batch):
        assert (run.provider, run.model, run.passed, run.selected) == ("gemini", model, True, True)
        assert run.cost_usd == pytest.approx((0.134 + 0.0011) / 2)  # the Batch API's half price
        assert run.output_data["usage"] == {"totalTokenCount": 1290}
        with run.output_image.open("rb") as handle:
            assert Image.open(handle).size == (1536, 864)
    assert batch_progress(batch=batch)["cost_usd"] == pytest.approx(
        len(pages) * (0.134 + 0.0011) / 2, abs=1e-3
    )
    methods = [received.method for received in server.received]
    assert methods == ["POST", "GET", "GET", "GET"]  # create, then one batches.get per run


def test_a_failed_job_is_tried_once_more_then_its_pages_fail_with_the_reason(api):
    batch = waiting_deck(api)
    run_gemini_batches()
    api.set_state("BATCH_STATE_FAILED", error={"code": 13, "message": "internal error"})

    run_gemini_batches()  # records the failure; the requests go into a second job
    run_gemini_batches()

    assert len(api.jobs) == 2
    assert {page.status for page in batch.pages.all()} == {PageStatus.PENDING}
    api.set_state("BATCH_STATE_FAILED", error={"code": 13, "message": "internal error"})
    run_gemini_batches()
    run_pages(batch)

    for page in batch.pages.all():
        assert page.status == PageStatus.FAILED
        assert "batch job batches/job-2 failed: internal error" in page.error
    assert {run.error_kind for run in renders(batch)} == {"transient"}


def test_a_job_with_failed_requests_completes_the_others_and_fails_or_retries_those(api):
    batch = waiting_deck(api)
    blocked = {"response": {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}}
    unavailable = {"error": {"code": 14, "message": "the model is overloaded"}}
    api.answers = {1: blocked, 2: unavailable}
    run_gemini_batches()
    api.set_state("BATCH_STATE_SUCCEEDED")

    run_gemini_batches()  # page 1 fails, page 2 goes into the next job, the others complete
    run_pages(batch)

    statuses = {page.index: page for page in batch.pages.all()}
    assert statuses[1].status == PageStatus.FAILED
    assert "prohibited content" in statuses[1].error
    assert (statuses[2].status, statuses[2].waiting_for) == (PageStatus.PENDING, "gemini")
    assert {statuses[n].status for n in statuses if n > 2} == {PageStatus.COMPLETED}

    run_gemini_batches()
    (second,) = [job for name, job in api.jobs.items() if name == "batches/job-2"]
    assert len(second["entries"]) == 1
    api.set_state("BATCH_STATE_SUCCEEDED")
    run_gemini_batches()
    run_pages(batch)

    assert Page.objects.get(pk=statuses[2].pk).status == PageStatus.COMPLETED


def test_a_quality_retry_goes_into_the_next_job(api):
    batch = waiting_deck(api)
    page = batch.pages.get(index=2)
    api.answers = {2: {"response": image_answer(Image.new("RGB", (1536, 864), "#ffffff"))}}
    run_gemini_batches()
    api.set_state("BATCH_STATE_SUCCEEDED")
    run_gemini_batches()

    run_pages(batch)

    page.refresh_from_db()
    assert (page.status, page.waiting_for) == (PageStatus.PENDING, "gemini")
    first, second = StepRun.objects.filter(page=page, step="render").order_by("attempt")
    assert (first.hints, first.passed, second.external_state) == (["blank"], False, "pending")
    assert {p.status for p in batch.pages.exclude(pk=page.pk)} == {PageStatus.COMPLETED}
    run_gemini_batches()
    (retry,) = api.jobs["batches/job-2"]["entries"]  # the retry alone, in the next job
    assert retry["metadata"]["key"] == second.external_id
    assert retry["request"]["generationConfig"]["seed"] == 1  # the retry's adjusted params
    api.set_state("BATCH_STATE_SUCCEEDED")
    run_gemini_batches()
    run_pages(batch)

    page.refresh_from_db()
    assert page.status == PageStatus.COMPLETED
    second.refresh_from_db()
    assert second.selected


def test_cancelling_the_deck_cancels_its_jobs(api, server, django_capture_on_commit_callbacks):
    batch = waiting_deck(api)
    run_gemini_batches()
    (name,) = api.jobs

    with django_capture_on_commit_callbacks(execute=True):
        batch_cancel(batch=batch)

    assert api.cancelled == [name]
    assert {page.status for page in batch.pages.all()} == {PageStatus.CANCELLED}
    assert {run.external_state for run in renders(batch)} == {"failed"}
    assert batch_progress(batch=batch)["provider_jobs"][0]["state"] == "BATCH_STATE_CANCELLED"
    sent = len(server.received)
    run_gemini_batches()  # a cancelled job is not polled again
    assert len(server.received) == sent


def test_a_deck_cancelled_before_its_requests_went_out_sends_nothing(
    api, server, django_capture_on_commit_callbacks
):
    batch = waiting_deck(api)

    with django_capture_on_commit_callbacks(execute=True):
        batch_cancel(batch=batch)
    run_gemini_batches()

    assert server.received == []
    assert not BatchApiRequest.objects.exists()
    assert {page.status for page in batch.pages.all()} == {PageStatus.CANCELLED}


def test_a_job_the_api_could_not_take_now_is_sent_on_the_next_run(api):
    batch = waiting_deck(api)
    api.unavailable = 1

    run_gemini_batches()

    assert api.jobs == {}
    assert BatchApiRequest.objects.filter(job_name="").count() == batch.pages.count()
    run_gemini_batches()
    ((_, job),) = api.jobs.items()
    assert len(job["entries"]) == batch.pages.count()


def test_requests_over_20_mb_are_split_into_several_jobs(api):
    noise = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    assert 5 * 1024 * 1024 < buffer.tell() < 7 * 1024 * 1024  # kept as it is (under 7 MB)
    template = SlideTemplateFactory(reference_image=ContentFile(buffer.getvalue(), "noise.png"))
    batch = waiting_deck(api, template=template)
    count = batch.pages.count()

    run_gemini_batches()

    sizes = [len(job["entries"]) for job in api.jobs.values()]
    assert sum(sizes) == count
    assert len(sizes) == -(-count // 2)  # two 7.5 MB requests fit in 20 MB, three do not
    for job in api.jobs.values():
        assert job["display_name"].startswith(f"nanodeck {batch.pk} ")
    assert BatchApiRequest.objects.filter(job_name="").count() == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"delivery": "batch"}, "works only with the provider gemini"),
        ({"delivery": "later"}, "delivery must be one of interactive, batch"),
        ({"delivery": 1}, "delivery must be a string"),
    ],
)
def test_an_invalid_delivery_is_refused_with_a_clear_400(options, message):
    template = SlideTemplateFactory()
    client = APIClient()
    client.force_authenticate(UserFactory())

    response = client.post(
        "/api/v1/batches/",
        {"outline": OUTLINE, "template": template.slug, "options": options},
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["details"])) == ("invalid", ["delivery"])
    assert message in error["message"]
    assert not Batch.objects.exists()


def test_delivery_is_stored_only_when_it_is_batch(api):
    batch = make_batch(options={"provider": "gemini", "delivery": "batch"})
    plain = make_batch(options={"provider": "gemini", "delivery": "interactive"})

    assert batch.options["delivery"] == "batch"
    assert batch.opts.delivery == "batch"
    assert "delivery" not in plain.options
    assert plain.opts.delivery == "interactive"


def test_a_batch_request_is_shaped_for_its_model_like_an_interactive_one(api):
    """Nano Banana 2 Lite takes 1K only: an hd deck (2K) asks it for 1K, in batch as at once."""
    batch = waiting_deck(api)
    Batch.objects.filter(pk=batch.pk).update(
        options={**batch.options, "model": "gemini-3.1-flash-lite-image", "quality": "hd"}
    )
    batch.refresh_from_db()
    BatchApiRequest.objects.all().delete()
    StepRun.objects.filter(batch=batch, step="render").delete()
    Page.objects.filter(batch=batch).update(status=PageStatus.PENDING, resume_step="render")
    run_pages(batch)

    run_gemini_batches()

    (job,) = api.jobs.values()
    assert job["model"] == "gemini-3.1-flash-lite-image"
    config = job["entries"][0]["request"]["generationConfig"]["imageConfig"]
    assert config == {"aspectRatio": "16:9", "imageSize": "1K"}
    assert {request.image_size for request in BatchApiRequest.objects.all()} == {"1K"}

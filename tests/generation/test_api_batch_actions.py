"""What the API does to a batch: cancel it, retry its failed pages, export the deck (each
format as an attachment, a Chinese title kept, a wrong format or an empty deck refused)."""

import io
import zipfile

import pytest

from generation.models import PageStatus
from tests.factories import make_batch
from tests.generation import batch_api
from tests.generation.batch_api import BATCHES, ZH_OUTLINE, error_of, finished_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

# The user, client and template (tests/generation/batch_api.py), bound by name for pytest.
user, api, template = batch_api.user, batch_api.api, batch_api.template


# --- cancel, retry -------------------------------------------------------------------------


def test_cancelling_a_batch_cancels_its_open_pages(api, user, template):
    batch = make_batch(owner=user, template=template)

    response = api.post(f"{BATCHES}{batch.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    batch.refresh_from_db()
    assert batch.status == "cancelled"


def test_cancelling_a_finished_batch_is_a_conflict(api, user):
    batch = finished_batch(user)

    response = api.post(f"{BATCHES}{batch.pk}/cancel/")

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "conflict"
    assert error["message"] == "the batch is already completed"


def test_retrying_failed_pages_queues_them_again(api, user, django_capture_on_commit_callbacks):
    batch = finished_batch(user)
    batch.pages.filter(index=2).update(status=PageStatus.FAILED, resume_step="render")

    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(f"{BATCHES}{batch.pk}/retry-failed/")

    assert response.status_code == 202
    assert response.json() == {"batch_id": str(batch.pk), "retried": 1}
    assert batch.pages.get(index=2).status == PageStatus.PENDING
    assert len(callbacks) == 1


def test_retrying_without_failed_pages_is_a_conflict(api, user):
    batch = finished_batch(user)

    response = api.post(f"{BATCHES}{batch.pk}/retry-failed/")

    assert response.status_code == 409
    assert error_of(response)["message"] == "the batch has no failed page to retry"


# --- export --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type", "filename", "magic"),
    [
        ("pptx", "presentationml.presentation", "short-deck.pptx", b"PK"),
        ("pptx-editable", "presentationml.presentation", "short-deck-editable.pptx", b"PK"),
        ("pdf", "application/pdf", "short-deck.pdf", b"%PDF"),
        ("zip", "application/zip", "short-deck.zip", b"PK"),
    ],
)
def test_the_export_streams_the_deck_as_an_attachment(
    api, user, fmt, content_type, filename, magic
):
    batch = finished_batch(user)

    response = api.get(f"{BATCHES}{batch.pk}/export/", {"format": fmt})

    assert response.status_code == 200
    assert response.streaming
    data = b"".join(response.streaming_content)
    assert data.startswith(magic)
    assert content_type in response["Content-Type"]
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    if fmt == "zip":
        assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 4


def test_the_export_filename_keeps_a_chinese_title(api, user):
    batch = finished_batch(user, outline=ZH_OUTLINE)

    response = api.get(f"{BATCHES}{batch.pk}/export/", {"format": "zip"})

    assert batch.title == "人工智能课堂"
    assert "filename*=utf-8''%E4%BA%BA" in response["Content-Disposition"]


def test_an_unknown_export_format_is_refused_naming_format(api, user, template):
    batch = make_batch(owner=user, template=template)

    response = api.get(f"{BATCHES}{batch.pk}/export/", {"format": "docx"})

    assert response.status_code == 400
    assert list(error_of(response)["details"]) == ["format"]


def test_exporting_a_batch_without_completed_pages_says_so(api, user, template):
    batch = make_batch(owner=user, template=template)

    response = api.get(f"{BATCHES}{batch.pk}/export/", {"format": "pptx"})

    assert response.status_code == 400
    assert error_of(response)["message"] == "the batch has no completed page to export yet"

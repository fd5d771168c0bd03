"""The batch API: create, list, detail, progress, cancel, retry failed pages, export."""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import Batch, BatchStatus, PageStatus
from generation.services.batches import batch_run
from tests.factories import EN_OUTLINE, SlideTemplateFactory, UserFactory, make_batch
from tests.media import signed_name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

BATCHES = "/api/v1/batches/"
SHORT_OUTLINE = "# Short deck\n\n### One\n- a\n- b\n\n### Two\n- c\n- d\n"
ZH_OUTLINE = "# 人工智能课堂\n\n### 为什么\n- 个性化学习\n- 即时反馈\n\n### 怎么做\n- 第一步：试点\n- 第二步：推广\n"


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def api(user):
    return token_client(user)


@pytest.fixture
def template():
    return SlideTemplateFactory(slug="business")


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def finished_batch(owner, outline: str = SHORT_OUTLINE, **kwargs) -> Batch:
    return batch_run(batch=make_batch(owner=owner, outline=outline, **kwargs))


def error_of(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


# --- create --------------------------------------------------------------------------------


def test_creating_a_batch_answers_201_with_links_and_queues_planning(
    api, user, template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            BATCHES,
            {"outline": EN_OUTLINE, "template": "business", "options": {"size": "1536x1024"}},
        )

    assert response.status_code == 201
    body = response.json()
    batch = Batch.objects.get(pk=body["id"])
    assert batch.owner == user
    assert body["status"] == "pending"
    assert body["template"] == "business"
    assert body["options"]["size"] == "1536x1024"
    base = f"http://testserver{BATCHES}{batch.pk}/"
    assert response["Location"] == body["links"]["self"] == base
    assert body["links"]["progress"] == f"{base}progress/"
    assert body["links"]["cancel"] == f"{base}cancel/"
    assert body["links"]["retry_failed"] == f"{base}retry-failed/"
    assert body["links"]["export"]["pdf"] == f"{base}export/?format=pdf"
    assert len(callbacks) == 1


def test_a_chinese_outline_and_title_come_back_intact(api, template):
    created = api.post(
        BATCHES, {"outline": ZH_OUTLINE, "template": "business", "title": "课堂里的人工智能"}
    )

    detail = api.get(created.json()["links"]["self"])

    assert detail.json()["title"] == "课堂里的人工智能"
    assert detail.json()["outline"] == ZH_OUTLINE.strip()
    assert "课堂里的人工智能".encode() in detail.content


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"template": "business"}, "outline"),
        ({"outline": "   ", "template": "business"}, "outline"),
        ({"outline": EN_OUTLINE}, "template"),
        ({"outline": EN_OUTLINE, "template": "no-such-template"}, "template"),
        ({"outline": EN_OUTLINE, "template": "business", "options": "big"}, "options"),
        ({"outline": EN_OUTLINE, "template": "business", "title": "x" * 301}, "title"),
        ({"outline": EN_OUTLINE, "template": "business", "options": {"size": "640x480"}}, "size"),
        ({"outline": EN_OUTLINE, "template": "business", "options": {"colour": "red"}}, "options"),
        (
            {"outline": EN_OUTLINE, "template": "business", "options": {"provider": "nope"}},
            "provider",
        ),
    ],
)
def test_invalid_input_is_refused_naming_the_field(api, template, payload, field):
    response = api.post(BATCHES, payload)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert list(error["details"]) == [field]
    assert error["details"][field]
    assert not Batch.objects.exists()


def test_an_inactive_template_is_refused_naming_the_template(api):
    SlideTemplateFactory(slug="retired", is_active=False)

    response = api.post(BATCHES, {"outline": EN_OUTLINE, "template": "retired"})

    assert response.status_code == 400
    assert error_of(response)["message"].startswith("template:")


def test_an_outline_over_the_limit_is_refused_with_the_limit_named(api, template, settings):
    settings.NANODECK = {**settings.NANODECK, "MAX_OUTLINE_CHARS": 100}

    response = api.post(BATCHES, {"outline": "# Deck\n" + "- item\n" * 50, "template": "business"})

    assert response.status_code == 400
    error = error_of(response)
    assert error["details"] == {"outline": [error["message"]]}
    assert "the limit is 100" in error["message"]


def test_the_request_after_the_creation_rate_is_throttled_with_retry_after(api, template, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "batch_create": "2/min"}
    payload = {"outline": SHORT_OUTLINE, "template": "business"}

    answers = [api.post(BATCHES, payload).status_code for _ in range(3)]

    assert answers == [201, 201, 429]
    response = api.post(BATCHES, payload)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    error = error_of(response)
    assert error["code"] == "throttled"
    assert error["details"]["retry_after"] == int(response["Retry-After"])
    assert Batch.objects.count() == 2


# --- list ----------------------------------------------------------------------------------


def test_the_list_shows_only_my_batches_newest_first(api, user, template):
    first = make_batch(owner=user, template=template)
    second = make_batch(owner=user, template=template)
    make_batch(owner=UserFactory(), template=template)

    body = api.get(BATCHES).json()

    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [str(second.pk), str(first.pk)]
    assert body["next"] is None
    assert body["previous"] is None


def test_the_list_filters_by_status(api, user, template):
    make_batch(owner=user, template=template)
    cancelled = make_batch(owner=user, template=template)
    Batch.objects.filter(pk=cancelled.pk).update(status=BatchStatus.CANCELLED)

    body = api.get(BATCHES, {"status": "cancelled"}).json()

    assert [item["id"] for item in body["results"]] == [str(cancelled.pk)]


def test_an_unknown_status_filter_is_refused_naming_status(api):
    response = api.get(BATCHES, {"status": "sleeping"})

    assert response.status_code == 400
    assert list(error_of(response)["details"]) == ["status"]


def test_the_list_is_paginated_and_page_size_is_capped_at_100(api, user, template, settings):
    for _ in range(3):
        make_batch(owner=user, template=template)

    first = api.get(BATCHES, {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    capped = api.get(BATCHES, {"page_size": 1000}).json()

    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert len(second["results"]) == 1
    assert second["previous"]
    assert len(capped["results"]) == 3
    assert api.get(BATCHES, {"page": 9}).status_code == 404


def test_staff_see_every_users_batches(template):
    make_batch(owner=UserFactory(), template=template)
    make_batch(owner=UserFactory(), template=template)

    body = token_client(UserFactory(is_staff=True)).get(BATCHES).json()

    assert body["count"] == 2


def test_the_list_query_count_does_not_grow_with_the_number_of_batches(
    api, user, template, django_assert_max_num_queries
):
    make_batch(owner=user, template=template)
    with CaptureQueriesContext(connection) as one:
        api.get(BATCHES)
    for _ in range(5):
        make_batch(owner=user, template=template)

    with django_assert_max_num_queries(len(one)):
        response = api.get(BATCHES)

    assert response.json()["count"] == 6


# --- auth ----------------------------------------------------------------------------------


def test_session_authentication_works_too(user, template):
    make_batch(owner=user, template=template)
    client = APIClient()
    client.login(username=user.username, password="pw-for-tests-only")

    assert client.get(BATCHES).json()["count"] == 1


def test_a_token_made_by_drf_create_token_authenticates(user, template, capsys):
    make_batch(owner=user, template=template)
    call_command("drf_create_token", user.username)
    key = capsys.readouterr().out.split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.get(BATCHES).json()["count"] == 1


# --- detail, progress ----------------------------------------------------------------------


def test_the_detail_of_a_finished_batch_has_progress_and_pages(api, user):
    batch = finished_batch(user)

    body = api.get(f"{BATCHES}{batch.pk}/").json()

    assert body["status"] == "completed"
    progress = body["progress"]
    assert progress["total"] == progress["completed"] == 4  # cover, two pages, the ending
    assert progress["percentage"] == 100.0
    assert progress["eta_seconds"] == 0
    assert progress["steps"]["render"] == {"done": 4, "running": 0}
    polled = api.get(f"{BATCHES}{batch.pk}/progress/").json()
    assert progress == {key: value for key, value in polled.items() if key != "batch_id"}
    assert [page["index"] for page in body["pages"]] == [1, 2, 3, 4]
    first = body["pages"][0]
    page = batch.pages.get(index=1)
    render_runs = page.step_runs.filter(step="render")
    assert first["kind"] == "cover"
    assert first["status"] == "completed"
    assert first["attempts"] == render_runs.count()
    assert first["score"] == render_runs.get(selected=True).score
    assert signed_name(first["image"]) == page.image.name
    assert signed_name(first["thumbnail"]) == page.thumbnail.name
    assert first["url"] == f"http://testserver/api/v1/pages/{page.pk}/"


def test_the_detail_query_count_does_not_grow_with_the_number_of_pages(
    api, user, django_assert_max_num_queries
):
    small = finished_batch(user)
    large = finished_batch(user, outline=EN_OUTLINE)
    assert large.pages.count() > small.pages.count() + 3
    with CaptureQueriesContext(connection) as for_small:
        api.get(f"{BATCHES}{small.pk}/")

    with django_assert_max_num_queries(len(for_small)):
        response = api.get(f"{BATCHES}{large.pk}/")

    assert len(response.json()["pages"]) == large.pages.count()


def test_progress_is_small_enough_to_poll(api, user, template):
    batch = make_batch(owner=user, template=template)

    body = api.get(f"{BATCHES}{batch.pk}/progress/").json()

    assert body == {
        "batch_id": str(batch.pk),
        "status": "pending",
        "total": 0,
        "completed": 0,
        "failed": 0,
        "running": 0,
        "held": 0,
        "waiting_for_provider": 0,
        "pending": 0,
        "percentage": 0.0,
        "eta_seconds": 0,
        "cost_usd": 0.0,
        "budget_usd": None,
        "steps": {name: {"done": 0, "running": 0} for name in ("describe", "render", "finish")},
    }


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "progress/"),
        ("post", "cancel/"),
        ("post", "retry-failed/"),
        ("get", "export/?format=pdf"),
    ],
)
def test_a_user_cannot_see_or_touch_another_users_batch(api, template, method, suffix):
    batch = make_batch(owner=UserFactory(), template=template)

    response = getattr(api, method)(f"{BATCHES}{batch.pk}/{suffix}")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    batch.refresh_from_db()
    assert batch.status == "pending"


def test_a_malformed_batch_id_is_not_found(api):
    response = api.get(f"{BATCHES}not-a-uuid/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


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

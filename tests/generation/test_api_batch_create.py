"""Creating a batch through the API: 201 with links and planning queued, Chinese kept
intact, wrong input refused naming the field, the outline limit and the creation rate."""

import pytest

from generation.models import Batch
from tests.factories import EN_OUTLINE, SlideTemplateFactory
from tests.generation import batch_api
from tests.generation.batch_api import BATCHES, SHORT_OUTLINE, ZH_OUTLINE, error_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

# The user, client and template (tests/generation/batch_api.py), bound by name for pytest.
user, api, template = batch_api.user, batch_api.api, batch_api.template


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

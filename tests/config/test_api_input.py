"""Input that parses but is malformed gets a clear 4xx in the one error shape, stores nothing,
and never becomes a 500: numbers no float holds, wrong types, deep nesting, content types that
are not UTF-8 JSON, lenient values. These also run on PostgreSQL (`make test`)."""

import json

import pytest
from django.contrib.auth.models import Group

from generation.models import Batch
from tests.config.api_helpers import (
    BATCHES,
    TEMPLATES,
    error_of,
    post_raw,
    token_client,
)
from tests.factories import (
    EN_OUTLINE,
    UserFactory,
    make_batch,
    make_review_items,
)

pytestmark = pytest.mark.django_db


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# --- numbers and types that parse but mean nothing ---------------------------------------


@pytest.mark.parametrize("budget", ["1e999", "1" * 400, "-1e999"])
def test_a_budget_no_float_can_hold_is_refused_and_leaves_no_file(
    api, template, settings, budget, no_errors_logged
):
    before = stored_files(settings)
    body = f'{{"outline": {json.dumps(EN_OUTLINE)}, "template": "business", "options": {{"budget_usd": {budget}}}}}'

    error = error_of(post_raw(api, BATCHES, body), 400)

    assert error["code"] == "invalid"
    assert "budget_usd" in error["message"]
    assert list(error["details"]) == ["budget_usd"]
    assert not Batch.objects.exists()
    assert stored_files(settings) == before


@pytest.mark.parametrize("option", ["provider", "text_provider", "size", "quality", "model"])
@pytest.mark.parametrize("value", [["local"], {"name": "local"}, 12, True])
def test_a_text_option_that_is_not_a_string_is_refused_by_name(
    api, template, option, value, no_errors_logged
):
    response = api.post(
        BATCHES,
        {"outline": EN_OUTLINE, "template": "business", "options": {option: value}},
        format="json",
    )

    error = error_of(response, 400)
    assert error["message"].startswith(f"{option} must be a string")
    assert list(error["details"]) == [option]
    assert not Batch.objects.exists()


NESTED = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", BATCHES),
        ("PATCH", TEMPLATES + "business/"),
        ("POST", "/api/v1/pages/{page}/flag/"),
        ("POST", "/api/v1/pages/{page}/regenerate/"),
        ("POST", "/api/v1/review/items/{item}/evaluations/"),
    ],
)
def test_json_nested_50000_deep_is_a_parse_error_on_any_endpoint(
    method, path, template, no_errors_logged
):
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name="evaluators"))
    item = make_review_items(1)[0]
    address = path.format(page=item.step_run.page_id, item=item.pk)

    response = token_client(staff).generic(method, address, NESTED, content_type="application/json")

    error = error_of(response, 400)
    assert error["code"] == "parse_error"
    assert "nested" in error["message"]


def test_json_nested_deeper_than_any_request_needs_is_refused(api, template):
    options = {"size": "1536x864"}
    for _ in range(40):
        options = {"size": options}
    response = api.post(
        BATCHES, {"outline": EN_OUTLINE, "template": "business", "options": options}, format="json"
    )

    assert error_of(response, 400)["code"] == "parse_error"


# --- content types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "*/*",
        "application/*",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "text/plain",
    ],
)
def test_a_body_that_is_not_utf8_json_gets_415(api, template, content_type, no_errors_logged):
    body = json.dumps({"outline": EN_OUTLINE, "template": "business"})

    error = error_of(post_raw(api, BATCHES, body, content_type), 415)

    assert error["code"] == "unsupported_media_type"
    assert not Batch.objects.exists()


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8"],
)
def test_utf8_json_is_accepted_with_or_without_the_charset(api, template, content_type):
    body = json.dumps(
        {"outline": EN_OUTLINE, "template": "business", "title": "课堂"}, ensure_ascii=False
    )

    response = post_raw(api, BATCHES, body, content_type)

    assert response.status_code == 201
    assert Batch.objects.get().title == "课堂"


# --- lenient values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outline": 12, "template": "business"}, "outline"),
        ({"outline": True, "template": "business"}, "outline"),
        ({"outline": EN_OUTLINE, "template": 12}, "template"),
        ({"outline": EN_OUTLINE, "template": "business", "title": 5}, "title"),
    ],
)
def test_a_number_where_text_belongs_is_refused_naming_the_field(
    api, template, body, field, no_errors_logged
):
    error = error_of(api.post(BATCHES, body, format="json"), 400)

    assert error["message"].startswith(f"{field}: ")
    assert not Batch.objects.exists()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"fresh": 1}, "fresh"),
        ({"fresh": "true"}, "fresh"),
        ({"size": "１５３６x８６４"}, "size"),
        ({"size": " 1536x864"}, "size"),
        ({"budget_usd": True}, "budget_usd"),
        ({"budget_usd": 1_000_001}, "budget_usd"),
    ],
)
def test_lenient_option_values_are_refused_by_name(api, template, options, field):
    response = api.post(
        BATCHES, {"outline": EN_OUTLINE, "template": "business", "options": options}, format="json"
    )

    assert list(error_of(response, 400)["details"]) == [field]
    assert not Batch.objects.exists()


def test_sensible_option_values_still_work(api, template):
    options = {"size": "1024x768", "fresh": False, "budget_usd": 2, "provider": "local"}

    response = api.post(
        BATCHES, {"outline": EN_OUTLINE, "template": "business", "options": options}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["options"]["budget_usd"] == 2.0


@pytest.mark.parametrize("reason", [5, ["bad"], {"a": 1}])
def test_a_flag_reason_must_be_text(api, user, reason):
    page = make_batch(owner=user).pages.create(index=0, kind="content", title="x")

    error = error_of(
        api.post(f"/api/v1/pages/{page.pk}/flag/", {"reason": reason}, format="json"), 400
    )

    assert error["message"].startswith("reason: ")


@pytest.mark.parametrize("page_size", ["abc", "0", "-1", "１０", "1e3"])
def test_a_page_size_that_is_not_a_positive_whole_number_is_refused(api, page_size):
    error = error_of(api.get(BATCHES, {"page_size": page_size}), 400)

    assert error["message"].startswith("page_size: ")


@pytest.mark.parametrize("page", ["", "abc", "0", "-1", "１", "last", "1.0"])
def test_a_page_number_that_is_not_a_positive_whole_number_is_refused(api, page):
    error = error_of(api.get(BATCHES, {"page": page}), 400)

    assert error["message"].startswith("page: ")


def test_a_page_past_the_end_is_not_found_and_page_1_is_the_first(api, user):
    make_batch(owner=user)

    assert api.get(BATCHES, {"page": "1"}).json()["count"] == 1
    assert error_of(api.get(BATCHES, {"page": "2"}), 404)


def test_a_page_size_over_100_is_still_capped(api, user):
    assert api.get(BATCHES, {"page_size": 1000}).status_code == 200


def test_an_empty_status_filter_means_any_status(api, user):
    make_batch(owner=user)

    response = api.get(BATCHES, {"status": ""})

    assert response.status_code == 200
    assert response.json()["count"] == 1

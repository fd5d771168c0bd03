"""Input that parses but is malformed gets a clear 4xx in the one error shape, stores nothing,
and never becomes a 500: huge numbers, wrong types, deep nesting, NUL bytes, lone surrogates,
content types that are not UTF-8 JSON. These also run on PostgreSQL (`make test`)."""

import json
import logging
import time

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.api.webhooks import kie_signature
from generation.models import Batch
from tests.factories import (
    EN_OUTLINE,
    SlideTemplateFactory,
    UserFactory,
    make_batch,
    make_review_items,
)

pytestmark = pytest.mark.django_db

BATCHES = "/api/v1/batches/"
TEMPLATES = "/api/v1/templates/"
WEBHOOK = "/api/v1/webhooks/kie/"


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
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def post_raw(client: APIClient, path: str, body: str, content_type: str = "application/json"):
    return client.generic("POST", path, body.encode("utf-8"), content_type=content_type)


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def no_errors_logged(caplog):
    """Nothing at ERROR or above reaches the logs (a 4xx is not our error)."""
    caplog.set_level(logging.WARNING)
    yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


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


# --- NUL bytes and lone surrogates ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outline": "# Deck\x00", "template": "business"}, "outline"),
        ({"outline": EN_OUTLINE, "template": "busi\x00ness"}, "template"),
        ({"outline": EN_OUTLINE, "template": "business", "title": "a\x00"}, "title"),
        (
            {"outline": EN_OUTLINE, "template": "business", "options": {"provider": "lo\x00cal"}},
            "options.provider",
        ),
        ({"outline": EN_OUTLINE, "template": "business", "options": {"\x00": 1}}, "options"),
    ],
)
def test_a_nul_byte_anywhere_in_a_json_body_is_refused_naming_the_field(
    api, template, body, field, no_errors_logged
):
    error = error_of(api.post(BATCHES, body, format="json"), 400)

    assert error["code"] == "invalid"
    assert error["message"].startswith(f"{field}")
    assert "NUL" in error["message"]
    assert not Batch.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        '{"outline": "# Deck", "template": "\\ud800"}',
        '{"outline": "# Deck \\udfff", "template": "business"}',
        '{"outline": "# Deck", "template": "business", "options": {"\\ud800": "x"}}',
    ],
)
def test_a_lone_surrogate_is_refused_at_the_door_without_echoing_it(
    api, template, raw, no_errors_logged
):
    response = post_raw(api, BATCHES, raw)

    error = error_of(response, 400)
    assert error["code"] == "invalid"
    assert "not valid Unicode" in error["message"]
    assert b"\\ud800" not in response.content
    assert not Batch.objects.exists()


def test_a_paired_surrogate_escape_is_an_ordinary_character(api, template):
    response = post_raw(
        api,
        BATCHES,
        f'{{"outline": {json.dumps(EN_OUTLINE)}, "template": "business", "title": "\\ud83d\\ude00"}}',
    )

    assert response.status_code == 201
    assert Batch.objects.get().title == "😀"


def test_an_anonymous_token_with_a_nul_byte_is_a_401_not_a_logged_traceback(no_errors_logged):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION="Token abc\x00def")

    error = error_of(client.get(BATCHES), 401)

    assert error["code"] == "authentication_failed"


def test_a_session_cookie_with_a_nul_byte_counts_as_no_session(no_errors_logged):
    client = APIClient(raise_request_exception=False)
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnopqrstuvwxyz012345"

    assert error_of(client.get(BATCHES), 401)["code"] == "not_authenticated"
    assert client.get("/admin/").status_code == 302
    assert client.get("/review/").status_code == 302


def test_a_session_cookie_with_a_nul_byte_does_not_hide_a_good_token(api, user):
    api.cookies["sessionid"] = "abcdefgh\x00ijklmnopqrstuvwxyz012345"

    assert api.get(BATCHES).status_code == 200


@pytest.mark.parametrize(
    "address",
    [
        f"{TEMPLATES}busi%00ness/",
        f"{BATCHES}?status=%00",
        f"{TEMPLATES}?page=1%00",
        f"{BATCHES}?%00=1",
    ],
)
def test_a_nul_byte_in_the_address_is_a_400(api, template, address, no_errors_logged):
    error = error_of(api.get(address), 400)

    assert error["code"] == "bad_request"
    assert "NUL" in error["message"]


def test_a_nul_byte_in_an_admin_address_is_a_400_page(no_errors_logged):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = APIClient(raise_request_exception=False)
    client.force_login(staff)

    response = client.get("/admin/templates_app/slidetemplate/?q=a%00b")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_webhook_whose_task_id_holds_a_nul_byte_is_a_400(settings, no_errors_logged):
    secret = "whsec-input-test"
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "kie": {**settings.PROVIDER_SETTINGS["kie"], "webhook_secret": secret},
    }
    body = json.dumps({"code": 200, "data": {"taskId": "task\x00-1", "state": "success"}}).encode()
    stamp = str(int(time.time()))

    response = APIClient(raise_request_exception=False).post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        HTTP_X_KIE_TIMESTAMP=stamp,
        HTTP_X_KIE_SIGNATURE=kie_signature(secret, stamp, body),
    )

    error = error_of(response, 400)
    assert error["code"] == "invalid"
    assert "NUL" in error["message"]


def test_a_webhook_nested_too_deeply_is_a_400(settings, no_errors_logged):
    secret = "whsec-input-test"
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "kie": {**settings.PROVIDER_SETTINGS["kie"], "webhook_secret": secret},
    }
    body = NESTED.encode()
    stamp = str(int(time.time()))

    response = APIClient(raise_request_exception=False).post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        HTTP_X_KIE_TIMESTAMP=stamp,
        HTTP_X_KIE_SIGNATURE=kie_signature(secret, stamp, body),
    )

    assert error_of(response, 400)["code"] == "invalid"


# --- every 500 is logged and rendered -----------------------------------------------------


class Exploding:
    """A middleware that fails outside any view, as a renderer or a middleware bug would."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise RuntimeError("exploded outside the view")


@pytest.mark.parametrize("path", [BATCHES, "/admin/"])
def test_a_500_outside_any_view_is_logged_with_its_traceback(settings, caplog, path):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.config.test_api_input.Exploding"]

    response = APIClient(raise_request_exception=False).get(path)

    assert response.status_code == 500
    logged = [r for r in caplog.records if r.name == "nanodeck.api" and r.exc_info]
    assert len(logged) == 1
    assert logged[0].getMessage() == f"server_error path={path}"
    assert "exploded outside the view" in str(logged[0].exc_info[1])


def test_a_stored_lone_surrogate_never_crashes_the_renderer(user, template, connection_vendor):
    if connection_vendor == "postgresql":
        pytest.skip("PostgreSQL cannot store a lone surrogate in the first place")
    SlideTemplateFactory(slug="legacy", fonts={"title": "\ud800"})

    response = token_client(user).get(TEMPLATES)

    assert response.status_code == 200
    assert json.loads(response.content)["count"] == 2


@pytest.fixture
def connection_vendor():
    from django.db import connection

    return connection.vendor


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


def test_a_page_size_over_100_is_still_capped(api, user):
    assert api.get(BATCHES, {"page_size": 1000}).status_code == 200


def test_an_empty_status_filter_means_any_status(api, user):
    make_batch(owner=user)

    response = api.get(BATCHES, {"status": ""})

    assert response.status_code == 200
    assert response.json()["count"] == 1

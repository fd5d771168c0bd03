"""Text PostgreSQL or a UTF-8 encoder cannot take (NUL characters, lone surrogates) is refused
at the door, in bodies, addresses, tokens, cookies and webhooks, as a clear 4xx without a
traceback; a 500 that still happens is logged; the renderer survives stored bad text. These
also run on PostgreSQL, where NUL used to be a 500 on every endpoint (`make test`)."""

import json
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from generation.api.webhooks import kie_signature
from generation.models import Batch
from tests.config.api_helpers import (
    BATCHES,
    TEMPLATES,
    error_of,
    post_raw,
    token_client,
)
from tests.factories import EN_OUTLINE, SlideTemplateFactory, UserFactory

pytestmark = pytest.mark.django_db


WEBHOOK = "/api/v1/webhooks/kie/"
NESTED = "[" * 50_000 + "]" * 50_000


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
        HTTP_X_WEBHOOK_TIMESTAMP=stamp,
        HTTP_X_WEBHOOK_SIGNATURE=kie_signature(secret, "task\x00-1", stamp),
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
        HTTP_X_WEBHOOK_TIMESTAMP=stamp,
        HTTP_X_WEBHOOK_SIGNATURE=kie_signature(secret, "", stamp),
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
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.config.test_api_text.Exploding"]

    response = APIClient(raise_request_exception=False).get(path)

    assert response.status_code == 500
    logged = [r for r in caplog.records if r.name == "nanodeck.api" and r.exc_info]
    assert len(logged) == 1
    assert logged[0].getMessage() == f"server_error path={path}"
    assert "exploded outside the view" in str(logged[0].exc_info[1])


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL cannot store a lone surrogate at all"
)
def test_a_stored_lone_surrogate_never_crashes_the_renderer(user, template):
    SlideTemplateFactory(slug="legacy", fonts={"title": "\ud800"})

    response = token_client(user).get(TEMPLATES)

    assert response.status_code == 200
    assert json.loads(response.content)["count"] == 2

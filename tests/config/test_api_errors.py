"""API plumbing: one JSON error shape for every failure under /api/, the schema and its docs."""

import json
import re

import pytest
from django.test import RequestFactory
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from config import api as config_api
from config.urls import api_v1
from generation.models import Batch
from tests.factories import SlideTemplateFactory, UserFactory, make_batch

pytestmark = pytest.mark.django_db

BATCHES = "/api/v1/batches/"


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def api(user):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


def error_of(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_anonymous_requests_get_401_with_the_token_challenge():
    response = APIClient().get(BATCHES)

    error = error_of(response, 401)
    assert error["code"] == "not_authenticated"
    assert error["message"] == "Authentication credentials were not provided."
    assert response["WWW-Authenticate"] == "Token"


def test_an_unknown_token_gets_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert error_of(client.get(BATCHES), 401)["code"] == "authentication_failed"


def test_a_session_post_without_the_csrf_token_is_forbidden(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    error = error_of(client.post(BATCHES, {}), 403)

    assert error["code"] == "permission_denied"
    assert error["message"].startswith("CSRF Failed")


def test_malformed_json_gets_400_parse_error(api):
    response = api.post(BATCHES, '{"outline": ', content_type="application/json")

    error = error_of(response, 400)
    assert error["code"] == "parse_error"
    assert error["message"].startswith("JSON parse error")


def test_a_form_post_gets_415(api):
    """Only operations that take a file take a form (creating a batch does: its images)."""
    response = api.post("/api/v1/outlines/", {"brief": "x"}, format="multipart")

    error = error_of(response, 415)
    assert error["code"] == "unsupported_media_type"
    assert "multipart/form-data" in error["message"]


def test_a_body_larger_than_the_server_accepts_gets_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api.post(BATCHES, {"outline": "x" * 2000, "template": "business"})

    assert error_of(response, 413)["code"] == "too_large"


def test_a_wrong_method_gets_405(api, user):
    batch = make_batch(owner=user)

    error = error_of(api.put(f"{BATCHES}{batch.pk}/", {}, format="json"), 405)

    assert error["code"] == "method_not_allowed"
    assert error["message"] == 'Method "PUT" not allowed.'
    assert Batch.objects.filter(pk=batch.pk).exists()


def test_validation_errors_name_every_field_and_the_message_names_the_first(api):
    error = error_of(api.post(BATCHES, {"title": "x"}), 400)

    assert error["code"] == "invalid"
    assert error["message"] == "outline: This field is required."
    assert error["details"] == {
        "outline": ["This field is required."],
        "template": ["This field is required."],
    }


def test_a_json_body_that_is_not_an_object_is_refused(api):
    response = api.post(BATCHES, json.dumps(["outline"]), content_type="application/json")

    error = error_of(response, 400)
    assert error["message"] == "Invalid data. Expected a dictionary, but got list."
    assert list(error["details"]) == ["non_field_errors"]


def test_a_service_error_keeps_its_message_and_names_its_field(api):
    SlideTemplateFactory(slug="business")

    response = api.post(
        BATCHES, {"outline": "# Deck", "template": "business", "options": {"quality": "ultra"}}
    )

    assert error_of(response, 400) == {
        "code": "invalid",
        "message": "quality must be one of standard, hd",
        "details": {"quality": ["quality must be one of standard, hd"]},
    }


def test_an_unexpected_error_is_a_logged_500_that_leaks_nothing(api, user, monkeypatch, caplog):
    batch = make_batch(owner=user)

    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("generation.api.views.batch_progress", broken)

    response = api.get(f"{BATCHES}{batch.pk}/progress/")

    error = error_of(response, 500)
    assert error == {
        "code": "server_error",
        "message": config_api.SERVER_ERROR_MESSAGE,
        "details": {},
    }
    assert b"secret" not in response.content
    assert b"Traceback" not in response.content
    logged = [record for record in caplog.records if record.name == "nanodeck.api"]
    assert logged[0].getMessage() == (
        f"api_unhandled_error view=BatchViewSet path={BATCHES}{batch.pk}/progress/"
    )
    assert "secret internals" in str(logged[0].exc_info[1])


def test_an_unknown_api_address_gets_a_json_404(api):
    error = error_of(api.get("/api/v1/nothing-here/"), 404)

    assert error == {
        "code": "not_found",
        "message": "No API endpoint at /api/v1/nothing-here/.",
        "details": {},
    }


def test_an_unknown_api_address_is_json_in_debug_mode_and_without_a_trailing_slash(api, settings):
    settings.DEBUG = True

    missing = api.get("/api/v2/batches/")
    unslashed = api.post("/api/v1/batches", {"outline": "x"})

    assert error_of(missing, 404)["code"] == "not_found"
    assert error_of(unslashed, 404)["message"] == "No API endpoint at /api/v1/batches."


def test_other_addresses_keep_djangos_html_404():
    response = APIClient().get("/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_disallowed_host_under_the_api_gets_a_json_400():
    response = APIClient().get(BATCHES, headers={"host": "evil.example"})

    assert error_of(response, 400)["code"] == "bad_request"


@pytest.mark.parametrize(
    ("handler", "status", "code"),
    [
        (config_api.permission_denied, 403, "permission_denied"),
        (config_api.not_found, 404, "not_found"),
        (config_api.server_error, 500, "server_error"),
    ],
)
def test_djangos_other_error_views_answer_json_under_the_api_only(handler, status, code):
    factory = RequestFactory()
    args = () if handler is config_api.server_error else (Exception(),)

    api_response = handler(factory.get(BATCHES), *args)
    page_response = handler(factory.get("/admin/"), *args)

    assert api_response.status_code == page_response.status_code == status
    assert json.loads(api_response.content)["error"]["code"] == code
    assert page_response["Content-Type"].startswith("text/html")


def test_the_schema_is_served_as_openapi_3():
    response = APIClient().get("/api/schema/", headers={"accept": "application/json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/batches/{id}/export/" in schema["paths"]
    assert "/api/v1/pages/{id}/regenerate/" in schema["paths"]
    assert "/api/v1/templates/{slug}/" in schema["paths"]


def test_the_schema_of_our_api_generates_without_warnings(capsys):
    GENERATOR_STATS.reset()

    SchemaGenerator(patterns=[path("api/v1/", include((api_v1, "api")))]).get_schema(
        request=None, public=True
    )

    assert not GENERATOR_STATS, capsys.readouterr().err


def test_the_docs_page_loads_nothing_from_another_host():
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert any(asset.endswith("swagger-ui.css") for asset in assets)
    # Static files, and the start-up script the page loads from itself (no inline script: CSP).
    assert all(asset.startswith(("/static/", "/api/docs/?script")) for asset in assets), assets
    assert not re.search(r"https?://|//cdn", html)

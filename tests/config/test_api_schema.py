"""The OpenAPI schema at /api/schema/ tells the truth: every error status an operation can
answer, the content types each write takes, the values a field can hold."""

import json

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/Error"
STAFF_ONLY = {("post", "/api/v1/review/calibrate/"), ("post", "/api/v1/credits/grants/")} | {
    (method, path)
    for path in ("/api/v1/templates/", "/api/v1/templates/{slug}/")
    for method in ("post", "put", "patch", "delete")
}
# Signing up and logging in take no credentials (nothing to refuse with a 401) and no session
# (no CSRF token to miss: no 403).
PUBLIC = {("post", "/api/v1/auth/register/"), ("post", "/api/v1/auth/token/")}
EVALUATORS_ONLY = {
    ("get", "/api/v1/review/next/"),
    ("post", "/api/v1/review/items/{id}/evaluations/"),
    ("post", "/api/v1/review/items/{id}/skip/"),
    ("get", "/api/v1/review/stats/"),
}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", headers={"accept": "application/json"})
    return json.loads(response.content)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def error_content(operation: dict, status: str) -> dict:
    return operation["responses"][status]["content"]["application/json"]["schema"]


def test_every_operation_documents_401_with_the_error_shape(schema):
    for method, path, operation in operations(schema):
        if (method, path) in PUBLIC:
            assert "401" not in operation["responses"], (method, path)
            continue
        assert "401" in operation["responses"], (method, path)
        assert error_content(operation, "401") == {"$ref": ERROR_REF}


def test_operations_for_staff_or_evaluators_document_403(schema):
    for method, path, operation in operations(schema):
        if (method, path) in STAFF_ONLY | EVALUATORS_ONLY:
            assert "403" in operation["responses"], (method, path)


def test_session_writes_may_fail_csrf_so_every_write_documents_403(schema):
    for method, path, operation in operations(schema):
        if method in ("post", "put", "patch", "delete") and (method, path) not in PUBLIC:
            assert "403" in operation["responses"], (method, path)


def test_every_address_with_an_id_documents_404(schema):
    for method, path, operation in operations(schema):
        if "{" in path:
            assert error_content(operation, "404") == {"$ref": ERROR_REF}, (method, path)


def test_every_operation_with_a_body_documents_400_413_and_415(schema):
    for method, path, operation in operations(schema):
        if "requestBody" in operation:
            for status in ("400", "413", "415"):
                assert status in operation["responses"], (method, path, status)


def test_every_operation_with_query_parameters_documents_400(schema):
    for method, path, operation in operations(schema):
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert "400" in operation["responses"], (method, path)


def test_template_writes_that_need_an_image_are_documented_as_multipart_only(schema):
    templates = schema["paths"]["/api/v1/templates/"]
    template = schema["paths"]["/api/v1/templates/{slug}/"]

    assert list(templates["post"]["requestBody"]["content"]) == ["multipart/form-data"]
    assert list(template["put"]["requestBody"]["content"]) == ["multipart/form-data"]
    assert sorted(template["patch"]["requestBody"]["content"]) == [
        "application/json",
        "multipart/form-data",
    ]


def test_steps_that_can_be_empty_allow_the_empty_string(schema):
    components = schema["components"]["schemas"]
    for component in ("PageSummary", "PageDetail"):
        current = json.dumps(components[component]["properties"]["current_step"])
        assert "BlankEnum" in current, component
    assert "BlankEnum" in json.dumps(components["PageDetail"]["properties"]["resume_step"])
    assert components["BlankEnum"]["enum"] == [""]


def test_lists_document_the_page_bounds(schema):
    parameters = schema["paths"]["/api/v1/batches/"]["get"]["parameters"]
    by_name = {p["name"]: p for p in parameters}

    assert by_name["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert by_name["page_size"]["schema"] == {"type": "integer", "minimum": 1}
    assert "at most 100" in by_name["page_size"]["description"]


def test_optional_filters_document_the_empty_string_they_accept(schema):
    batches = schema["paths"]["/api/v1/batches/"]["get"]["parameters"]
    review = schema["paths"]["/api/v1/review/next/"]["get"]["parameters"]

    assert "" in next(p for p in batches if p["name"] == "status")["schema"]["enum"]
    assert "" in next(p for p in review if p["name"] == "step")["schema"]["enum"]


def test_every_operation_documents_406_for_an_accept_header_without_json(schema):
    for method, path, operation in operations(schema):
        assert error_content(operation, "406") == {"$ref": ERROR_REF}, (method, path)


def test_an_accept_header_without_json_gets_406_in_the_error_shape():
    client = APIClient()
    client.force_authenticate(UserFactory())

    response = client.get("/api/v1/batches/", headers={"accept": "text/html"})

    assert response.status_code == 406
    assert set(response.json()["error"]) == {"code", "message", "details"}

"""What the API tests under tests/config share: clients and the error shape."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

BATCHES = "/api/v1/batches/"
TEMPLATES = "/api/v1/templates/"


def token_client(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def error_of(response, status: int) -> dict:
    """The error of a response in the one shape, after checking its status."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def post_raw(client: APIClient, path: str, body: str, content_type: str = "application/json"):
    return client.generic("POST", path, body.encode("utf-8"), content_type=content_type)

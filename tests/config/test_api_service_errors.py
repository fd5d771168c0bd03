"""Service errors raised by a view take the one error shape by their class, subclasses included.

The view below is test-only: this module is its own urlconf (`pytest.mark.urls`)."""

import logging

import pytest
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from generation.errors import Conflict, InvalidInput, NanodeckError, StepFailed


class OutlineTooLong(InvalidInput):
    """A finer kind of invalid input, the way a service might add one."""


class AlreadyExported(Conflict):
    code = "already_exported"


class Gone(NanodeckError):
    """A service error the API does not know by name: its class says what to answer."""

    status_code = 410
    code = "gone"


ERRORS = {
    "outline-too-long": OutlineTooLong("outline is too long", details={"outline": "too long"}),
    "already-exported": AlreadyExported("the batch is exported already"),
    "gone": Gone("that deck is gone"),
    "step-failed": StepFailed("no usable attempt"),
}


class RaisingView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request: Request, name: str) -> Response:
        raise ERRORS[name]


urlpatterns = [path("api/v1/raise/<str:name>/", RaisingView.as_view())]

pytestmark = [pytest.mark.urls(__name__)]


def error_of(name: str, status: int) -> dict:
    response = APIClient(raise_request_exception=False).get(f"/api/v1/raise/{name}/")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_a_subclass_of_invalid_input_is_a_400_in_the_one_error_shape():
    assert error_of("outline-too-long", 400) == {
        "error": {
            "code": "invalid",
            "message": "outline is too long",
            "details": {"outline": ["outline is too long"]},
        }
    }


def test_a_subclass_of_conflict_is_a_409_with_its_own_code():
    assert error_of("already-exported", 409) == {
        "error": {
            "code": "already_exported",
            "message": "the batch is exported already",
            "details": {},
        }
    }


def test_a_service_error_answers_with_the_status_its_class_sets():
    assert error_of("gone", 410)["error"] == {
        "code": "gone",
        "message": "that deck is gone",
        "details": {},
    }


def test_a_pipeline_error_that_reaches_a_view_is_a_logged_500_that_leaks_nothing(caplog):
    caplog.set_level(logging.ERROR, logger="nanodeck.api")

    body = error_of("step-failed", 500)

    assert body["error"]["code"] == "server_error"
    assert "no usable attempt" not in body["error"]["message"]
    assert [record.getMessage() for record in caplog.records if record.name == "nanodeck.api"] == [
        "api_unhandled_error view=RaisingView path=/api/v1/raise/step-failed/"
    ]

"""API plumbing: the one JSON error shape, pagination and throttles for /api/.

Every error under /api/ looks like {"error": {"code": ..., "message": ..., "details": {...}}}:
DRF exceptions, nanodeck service errors, unexpected exceptions (500, logged, nothing leaked),
addresses no endpoint has (`no_such_endpoint`, the last route under /api/) and, through the
handler400/403/404/500 views below, errors Django answers itself (e.g. a disallowed host).
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from generation.errors import BrokerUnavailable, NanodeckError

logger = logging.getLogger("nanodeck.api")

API_PREFIX = "/api/"
SERVER_ERROR_MESSAGE = "Something went wrong on our side; the error has been logged."
RETRY_AFTER_UNAVAILABLE = 30  # seconds, the Retry-After of a 503


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"
    default_detail = "The request body is larger than this server accepts."


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes the one error shape."""
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        # Redis (the queue and the throttles' cache) is down: a 503, not a bug.
        exc = BrokerUnavailable(f"the task queue is unreachable ({exc}); try again later")
    if isinstance(exc, NanodeckError) and exc.status_code != 500:
        set_rollback()
        details = exc.api_details()
        headers = {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)} if exc.status_code == 503 else None
        return Response(
            error_body(exc.code, exc.message, details), status=exc.status_code, headers=headers
        )
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        view = context.get("view")
        logger.error(
            "api_unhandled_error view=%s path=%s",
            type(view).__name__,
            context["request"].path,
            exc_info=exc,
        )
        set_rollback()
        return Response(error_body("server_error", SERVER_ERROR_MESSAGE), status=500)
    response = drf_exception_handler(api_exc, context)
    response.data = _api_error_body(api_exc)
    return response


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    """The DRF exception for an exception we expect; None for a bug."""
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, Http404):
        return exceptions.NotFound(*exc.args)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, SuspiciousOperation):  # e.g. too many multipart fields
        logger.warning("api_suspicious_request error=%s", type(exc).__name__)
        return exceptions.ParseError()
    return None


def _api_error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail
        if not isinstance(details, dict):
            details = {api_settings.NON_FIELD_ERRORS_KEY: details}
        return error_body("invalid", _first_message(details), details)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    details = {"retry_after": exc.wait} if isinstance(exc, exceptions.Throttled) else {}
    return error_body(code, str(exc.detail), details)


def _first_message(detail: object, field: str = "") -> str:
    """'options.size: Not a valid string.': the first error, named by its field path."""
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        if key != api_settings.NON_FIELD_ERRORS_KEY:
            field = f"{field}.{key}" if field else str(key)
        return _first_message(value, field)
    if isinstance(detail, list) and detail:
        return _first_message(next((item for item in detail if item), detail[0]), field)
    return f"{field}: {detail}" if field else str(detail)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _json_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


@csrf_exempt
def no_such_endpoint(request: HttpRequest) -> JsonResponse:
    """The last route under /api/: an unknown address is a JSON 404, with DEBUG on too."""
    return _json_error(404, "not_found", f"No API endpoint at {request.path_info}.")


# Django's error views (config.urls' handler400/403/404/500): JSON under /api/, pages elsewhere.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json_error(400, "bad_request", "Bad request.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        message = "You do not have permission to perform this action."
        return _json_error(403, "permission_denied", message)
    return defaults.permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return no_such_endpoint(request)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django calls this inside its `except` block, for errors outside a view's own handling
    (a middleware, rendering a response). Django's own line (logger django.request) reaches no
    handler unless DEBUG is on, so the error and its traceback are logged here."""
    logger.error("server_error path=%s", request.path, exc_info=sys.exc_info())
    if _is_api(request):
        return _json_error(500, "server_error", SERVER_ERROR_MESSAGE)
    return defaults.server_error(request)


class Pagination(PageNumberPagination):
    """`count`, `next`, `previous`, `results`; PAGE_SIZE from settings, `?page_size=` up to 100
    (larger values are capped; anything but a positive whole number is a 400). `?page=` is a
    whole number from 1, as the schema says; anything else, the empty string included, is a 400 (Django's
    paginator would read an empty one as page 1), a page past the end a 404."""

    page_size_query_param = "page_size"
    max_page_size = 100
    page_size_query_description = "Items per page, at most 100 (a larger value is capped)."

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        digits = raw.lstrip("0")  # int() refuses strings of thousands of digits
        if not (raw.isascii() and raw.isdigit()) or not digits:
            raise exceptions.ValidationError(
                {self.page_size_query_param: ["A whole number from 1 is required."]}
            )
        return self.max_page_size if len(digits) > 3 else min(int(digits), self.max_page_size)

    def get_page_number(self, request: Request, paginator: object) -> int | str:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not (raw.isascii() and raw.isdigit()) or not raw.lstrip("0"):
            raise exceptions.ValidationError(
                {self.page_query_param: ["A whole number from 1 is required."]}
            )
        return raw

    def get_schema_operation_parameters(self, view: object) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


class _SettingsRateThrottle(UserRateThrottle):
    """Per-user rate read from settings.API_THROTTLE_RATES on every request."""

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATES[self.scope]


class BatchCreateThrottle(_SettingsRateThrottle):
    scope = "batch_create"


class RegenerateThrottle(_SettingsRateThrottle):
    scope = "regenerate"


class OutlineDraftThrottle(_SettingsRateThrottle):
    scope = "outline_draft"


class UploadThrottle(_SettingsRateThrottle):
    scope = "upload"


class RegisterThrottle(AnonRateThrottle):
    """Sign-ups per client address (REMOTE_ADDR alone: settings NUM_PROXIES), rate from
    settings.API_THROTTLE_RATES."""

    scope = "register"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATES[self.scope]


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class ErrorSerializer(serializers.Serializer):
    """The one error shape, for the schema."""

    error = ErrorDetailSerializer()


ERROR_MEANINGS = {
    400: "Invalid input: details name each field and its messages.",
    401: "No credentials, or a token or session that is not valid.",
    402: "Not enough credits: details give `needed` and `balance`; nothing was stored.",
    403: "Not allowed for this user (or a session write without its CSRF token).",
    404: "Not found, or not yours.",
    406: "The Accept header names no type this operation answers with (JSON).",
    409: "Conflicts with the current state.",
    413: "The request body is larger than this server accepts.",
    415: "A body that is not UTF-8 JSON (or multipart where the operation takes it).",
    429: "Throttled; see the Retry-After header.",
    502: "The provider refused the call or gave no usable answer; the message quotes it.",
    503: "The task queue (or, where a provider is called while you wait, the provider) is "
    "unreachable for now; nothing was stored. Retry after the Retry-After header.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses an endpoint answers with."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=ERROR_MEANINGS[status])
        for status in statuses
    }

"""Requests no view should see: text PostgreSQL cannot take in a query, refused before any
lookup (without this, one NUL in a cookie or an address is a 500 and a traceback per request).

- A cookie whose value holds a NUL or a lone surrogate is dropped: a `sessionid` like that can
  name no session, so the request goes on without one (anonymous, or its token decides).
- An address (path or query string) with a NUL is a 400: JSON in the API's error shape under
  /api/, Django's 400 page elsewhere.
"""

from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from config.api import API_PREFIX, error_body
from config.text import NUL, text_problem

NUL_ADDRESS = "The address contains a NUL character (%00), which is not allowed."


def _address_has_nul(request: HttpRequest) -> bool:
    if NUL in request.path_info:
        return True
    return any(NUL in key or any(NUL in v for v in values) for key, values in request.GET.lists())


class RefuseUnstorableTextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, value in list(request.COOKIES.items()):
            if text_problem(name) or text_problem(value):
                del request.COOKIES[name]
        if _address_has_nul(request):
            if request.path_info.startswith(API_PREFIX):
                return JsonResponse(error_body("bad_request", NUL_ADDRESS), status=400)
            return defaults.bad_request(request, SuspiciousOperation(NUL_ADDRESS))
        return self.get_response(request)

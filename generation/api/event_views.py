"""Live progress of a batch or an image as server-sent events (generation/events/).

Async views: the caller is authenticated and the batch looked up as the rest of the API does
(token or session; another user's batch is a 404 in the API's error shape), then the response
streams from an async generator, holding no thread or worker while it waits.
"""

from __future__ import annotations

from functools import partial

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings

from config.api import error_body
from generation.events.feed import HUB
from generation.events.payloads import parse_cursor
from generation.events.stream import event_stream
from generation.models import Batch


def _error(exc: exceptions.APIException, headers: dict | None = None) -> JsonResponse:
    body = error_body(exc.get_codes(), str(exc.detail))
    return JsonResponse(
        body, status=exc.status_code, headers=headers, json_dumps_params={"ensure_ascii": False}
    )


def _followed(request: HttpRequest, pk: str, *, images: bool) -> tuple[JsonResponse | None, str]:
    """(None, the batch id) when the caller may follow batch `pk` (with `images`: an image of
    theirs), else (the API's answer, ""): 401 without valid credentials, 404 for a batch that
    is not theirs."""
    authenticators = [cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    drf_request = Request(request, authenticators=authenticators)
    challenge = {"WWW-Authenticate": authenticators[0].authenticate_header(drf_request)}
    try:
        user = drf_request.user
    except exceptions.AuthenticationFailed as exc:
        return _error(exc, challenge), ""
    if not user.is_authenticated:
        return _error(exceptions.NotAuthenticated(), challenge), ""
    batches = Batch.objects.filter(owner=user, kind="image") if images else Batch.objects.all()
    if not (images or user.is_staff):
        batches = batches.filter(owner=user)
    try:
        found = batches.filter(pk=pk).values_list("pk", flat=True).first()
    except ValidationError:  # not a UUID
        found = None
    if found is None:
        missing = exceptions.NotFound(
            f"No {'Image' if images else 'Batch'} matches the given query."
        )
        return _error(missing), ""
    return None, str(found)


async def _events(request: HttpRequest, pk: str, *, images: bool) -> HttpResponse:
    if request.method != "GET":
        return _error(exceptions.MethodNotAllowed(request.method), {"Allow": "GET"})
    refusal, batch_id = await HUB.db(partial(_followed, request, pk, images=images))
    if refusal is not None:
        return refusal
    after = parse_cursor(request.headers.get("Last-Event-ID", ""))
    response = StreamingHttpResponse(
        event_stream(batch_id, after=after), content_type="text/event-stream; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


@csrf_exempt
async def batch_events(request: HttpRequest, pk: str) -> HttpResponse:
    """GET /api/v1/batches/{id}/events/: the batch's live progress (text/event-stream)."""
    return await _events(request, pk, images=False)


@csrf_exempt
async def image_events(request: HttpRequest, pk: str) -> HttpResponse:
    """GET /api/v1/images/{id}/events/: the image's live progress (text/event-stream)."""
    return await _events(request, pk, images=True)

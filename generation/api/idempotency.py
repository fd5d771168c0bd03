"""`Idempotency-Key`: a request retried with the same key is served once.

The first request with a key claims it (a row unique per user and key) in the transaction
that does the work, and stores its answer there; a retry gets that answer again, with no
second batch and no second reservation. A retry sent while the first is still running waits
for it (the unique index holds the second insert until the first commits). A request that
fails stores nothing, its claim included, so it can be retried with the same key. The same
key with another operation or another body is a 409.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from generation.errors import Conflict
from generation.models import IdempotentRequest

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,255}")

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "pattern": f"^{KEY_PATTERN.pattern}$", "maxLength": 255},
    OpenApiParameter.HEADER,
    description="Any unique string (1-255 letters, digits, '.', '_', ':', '-'; a UUID is "
    "good): a retry with the same key gets the first answer again and does nothing twice.",
)


def idempotency_key(request: Request) -> str:
    """The request's key, '' without one; a malformed key is a 400."""
    key = request.headers.get(HEADER)
    if key is None:
        return ""
    if not KEY_PATTERN.fullmatch(key):
        raise exceptions.ValidationError(
            {HEADER: ["1-255 letters, digits, '.', '_', ':' or '-' (a UUID is good)."]}
        )
    return key


def _fingerprint(request: Request) -> str:
    if request.content_type.startswith("multipart/"):
        parts = sorted((key, str(value)) for key, value in request.data.lists())
        body = json.dumps(parts, ensure_ascii=False, default=str)
    else:
        body = json.dumps(request.data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def served_once(request: Request, *, scope: str, run: Callable[[], Response]) -> Response:
    """`run()` the request once per Idempotency-Key of its user; without a key, just run it."""
    key = idempotency_key(request)
    if not key:
        return run()
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = IdempotentRequest.objects.create(
                    user=request.user, key=key, scope=scope, fingerprint=fingerprint
                )
        except IntegrityError:
            return _replay(request, key=key, scope=scope, fingerprint=fingerprint)
        response = run()
        claim.status, claim.body = response.status_code, response.data
        claim.location = response.headers.get("Location", "")
        claim.save(update_fields=["status", "body", "location"])
    return response


def _replay(request: Request, *, key: str, scope: str, fingerprint: str) -> Response:
    earlier = IdempotentRequest.objects.get(user=request.user, key=key)
    if earlier.scope != scope or earlier.fingerprint != fingerprint:
        raise Conflict(
            f"this {HEADER} was used for another request; send a new key for a new request",
            details={HEADER: key},
        )
    headers = {HEADER: key, "Idempotent-Replayed": "true"}
    if earlier.location:
        headers["Location"] = earlier.location
    return Response(earlier.body, status=earlier.status, headers=headers)

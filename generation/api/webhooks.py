"""Webhooks: asynchronous providers report finished tasks here, signed instead of logged in."""

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_body
from config.text import text_problem
from generation.models import StepRun
from generation.providers.kie import callback_task_id
from generation.providers.registry import image_provider
from generation.services.async_attempts import attempt_complete

logger = logging.getLogger("nanodeck.api")

MAX_SKEW_SECONDS = 300


def kie_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of b"<timestamp>." + body under the webhook secret."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _signature_problem(secret: str, timestamp: str, signature: str, body: bytes) -> str:
    """Why the request is not kie's, or "" when its signature and timestamp are good."""
    if not timestamp or not signature:
        return "X-Kie-Timestamp and X-Kie-Signature headers are required"
    try:
        skew = time.time() - int(timestamp)
    except ValueError:
        return "X-Kie-Timestamp must be unix seconds"
    if abs(skew) > MAX_SKEW_SECONDS:
        return (
            f"X-Kie-Timestamp is {abs(round(skew))} seconds off the server's clock (at most "
            f"{MAX_SKEW_SECONDS} allowed): a replayed request or a wrong clock"
        )
    expected = kie_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        return "X-Kie-Signature does not match the body"
    return ""


def _error(status: int, code: str, message: str) -> Response:
    return Response(error_body(code, message), status=status)


@extend_schema(exclude=True)
class KieWebhookView(APIView):
    """POST /api/v1/webhooks/kie/: kie.ai reports a finished task (the createTask callBackUrl).

    No user authentication; the request is signed with KIE_WEBHOOK_SECRET:
    - `X-Kie-Timestamp`: unix seconds when it was sent; more than 5 minutes off the server's
      clock (either way) is refused, so a captured request cannot be replayed later.
    - `X-Kie-Signature`: hex HMAC-SHA256 of `b"<timestamp>." + raw body` under the secret.

    Answers 503 when no secret is configured, 401 for a missing or wrong signature or a stale
    timestamp, 400 for a body that is not kie's callback JSON, 404 for a task id no attempt
    waits for (nothing changes), and 200 {"status": "recorded"} for the first delivery or
    {"status": "already recorded"} for a repeated one (nothing changes).
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def post(self, request: Request) -> Response:
        secret = settings.PROVIDER_SETTINGS["kie"].get("webhook_secret")
        if not secret:
            return _error(503, "webhook_disabled", "kie webhooks are off: set KIE_WEBHOOK_SECRET")
        body = request.body
        problem = _signature_problem(
            secret,
            request.headers.get("X-Kie-Timestamp", ""),
            request.headers.get("X-Kie-Signature", ""),
            body,
        )
        if problem:
            logger.warning("kie_webhook outcome=bad_signature reason=%s", problem)
            return _error(401, "bad_signature", problem)
        try:
            payload = json.loads(body)
            task_id = callback_task_id(payload)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested JSON
            return _error(400, "invalid", f"not a kie callback: {exc}")
        if text_problem(task_id):  # PostgreSQL cannot even look a NUL up
            return _error(
                400, "invalid", f"not a kie callback: data.taskId {text_problem(task_id)}"
            )
        run = (
            StepRun.objects.select_related("batch")
            .filter(provider="kie", external_id=task_id)
            .first()
        )
        if run is None:
            logger.warning("kie_webhook task=%s outcome=unknown_task", task_id)
            return _error(404, "not_found", f"no attempt waits for kie task {task_id}")
        changed = False
        if run.external_state == "pending":
            outcome = image_provider("kie").outcome_from_callback(payload)
            _, changed = attempt_complete(
                provider="kie", task_id=task_id, **outcome.for_attempt(run)
            )
        status = "recorded" if changed else "already recorded"
        logger.info("kie_webhook task=%s outcome=%s", task_id, status.replace(" ", "_"))
        return Response({"status": status})

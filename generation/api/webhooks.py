"""Webhooks: asynchronous providers report finished tasks here, signed instead of logged in."""

import base64
import hashlib
import hmac
import json
import logging
import re
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
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Webhook-Signature"
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def kie_signature(secret: str, task_id: str, timestamp: str) -> str:
    """kie's documented signature (https://docs.kie.ai/common-api/webhook-verification):
    base64(HMAC-SHA256(taskId + "." + timestamp, webhookHmacKey))."""
    digest = hmac.new(secret.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode("ascii")


def _timestamp_problem(timestamp: str) -> str:
    """Why the timestamp is not now (more than 5 minutes off, whole seconds), or ""."""
    if not _UNIX_SECONDS.fullmatch(timestamp):
        return f"{TIMESTAMP_HEADER} must be unix seconds"
    skew = int(time.time()) - int(timestamp)
    if abs(skew) > MAX_SKEW_SECONDS:
        return (
            f"{TIMESTAMP_HEADER} is {abs(skew)} seconds off the server's clock (at most "
            f"{MAX_SKEW_SECONDS} allowed): a replayed request or a wrong clock"
        )
    return ""


def _task_id_of(body: bytes) -> str:
    """data.taskId (or data.task_id) of a JSON body, "" when there is none to sign."""
    try:
        data = json.loads(body).get("data")
        task_id = data.get("taskId", data.get("task_id"))
    except (ValueError, RecursionError, AttributeError):  # not JSON, not objects
        return ""
    return task_id if isinstance(task_id, str) else ""


def _signature_problem(secret: str, timestamp: str, signature: str, body: bytes) -> str:
    """Why the request is not kie's, or "" when its timestamp and signature are good."""
    if not timestamp or not signature:
        return f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required"
    problem = _timestamp_problem(timestamp)
    if problem:
        return problem
    expected = kie_signature(secret, _task_id_of(body), timestamp)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        return f"{SIGNATURE_HEADER} does not match the task id and timestamp"
    return ""


def _error(status: int, code: str, message: str) -> Response:
    return Response(error_body(code, message), status=status)


@extend_schema(exclude=True)
class KieWebhookView(APIView):
    """POST /api/v1/webhooks/kie/: kie.ai reports a finished task (the createTask callBackUrl).

    No user authentication; the request is signed as kie documents it
    (https://docs.kie.ai/common-api/webhook-verification), keyed with KIE_WEBHOOK_SECRET (kie's
    webhookHmacKey):
    - `X-Webhook-Timestamp`: unix seconds when it was sent; more than 5 minutes off the
      server's clock (either way) is refused, so a captured request cannot be replayed later.
    - `X-Webhook-Signature`: base64(HMAC-SHA256(`<taskId>.<timestamp>`, key)), taskId from the
      body's data.taskId (data.task_id in kie's example); compared in constant time.

    Answers 503 when no key is configured, 401 for a missing or wrong signature or a stale
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
            request.headers.get(TIMESTAMP_HEADER, ""),
            request.headers.get(SIGNATURE_HEADER, ""),
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
        return _record(payload, task_id)


def _record(payload: dict, task_id: str) -> Response:
    """Complete the attempt waiting for this task (once); 404 when none waits for it."""
    run = (
        StepRun.objects.select_related("batch").filter(provider="kie", external_id=task_id).first()
    )
    if run is None:
        logger.warning("kie_webhook task=%s outcome=unknown_task", task_id)
        return _error(404, "not_found", f"no attempt waits for kie task {task_id}")
    changed = False
    if run.external_state == "pending":
        outcome = image_provider("kie").outcome_from_callback(payload)
        _, changed = attempt_complete(provider="kie", task_id=task_id, **outcome.for_attempt(run))
    status = "recorded" if changed else "already recorded"
    logger.info("kie_webhook task=%s outcome=%s", task_id, status.replace(" ", "_"))
    return Response({"status": status})

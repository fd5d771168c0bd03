"""Gemini's Batch API: many `generateContent` requests in one job, at half the price, answered
within hours instead of seconds (decks with `options.delivery = "batch"`).

Wire format, from the Batch API reference (https://ai.google.dev/api/batch-api, "Method:
models.batchGenerateContent", batches.get, batches.cancel) and its guide
(https://ai.google.dev/gemini-api/docs/batch-api, "Inline requests": under 20 MB in all):

- create: `POST {base}/v1beta/models/{model}:batchGenerateContent` with
  `{"batch": {"display_name", "input_config": {"requests": {"requests": [
  {"request": GenerateContentRequest, "metadata": {"key": str}}]}}}}`; the answer is an
  Operation whose `name` (and `metadata.name`) is the batch's resource name `batches/{batchId}`
  and whose `metadata.state` is a BatchState.
- poll: `GET {base}/v1beta/{name}` (name = `batches/{batchId}`): the same Operation; once
  `metadata.state` is final, `response.inlinedResponses.inlinedResponses` lists per request
  `{"metadata": {"key"}, "response": GenerateContentResponse}` or `{"metadata", "error": Status}`.
- cancel: `POST {base}/v1beta/{name}:cancel`.
- BatchState: BATCH_STATE_PENDING, BATCH_STATE_RUNNING, BATCH_STATE_SUCCEEDED,
  BATCH_STATE_FAILED, BATCH_STATE_CANCELLED, BATCH_STATE_EXPIRED.

Settings: PROVIDER_SETTINGS["gemini"], PROVIDER_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace

from django.conf import settings
from PIL import Image

from generation.providers.base import ErrorKind, ImageRequest, ProviderError
from generation.providers.gemini_answers import classify_error, final_image, usage
from generation.providers.gemini_models import IMAGE_MODELS
from generation.providers.gemini_requests import ImageCall, image_call, prepare_references
from generation.providers.http import HttpClient, answer_json, open_image, short
from generation.providers.pricing import image_cost

PENDING, RUNNING = "BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"
SUCCEEDED, FAILED = "BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED"
CANCELLED, EXPIRED = "BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED"
WAITING_STATES = frozenset({PENDING, RUNNING})
FINAL_STATES = frozenset({SUCCEEDED, FAILED, CANCELLED, EXPIRED})
# Inline requests of one job stay under 20 MB (the guide); a little is kept for the envelope.
MAX_INLINE_BYTES = 20 * 1024 * 1024
_ENVELOPE_BYTES = 64 * 1024
BATCH_PRICE_FACTOR = 0.5  # the Batch API costs half the interactive price
# google.rpc.Code numbers of a per-request error (Status.code).
_INVALID_CODES = frozenset({3, 5, 9, 11})  # INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION…
_AUTH_CODES = frozenset({7, 16})  # PERMISSION_DENIED, UNAUTHENTICATED
_RATE_CODE = 8  # RESOURCE_EXHAUSTED


def request_call(model: str, request: ImageRequest) -> ImageCall:
    """The GenerateContentRequest of an image request, shaped for `model` exactly as
    GeminiProvider.generate shapes it (gemini.image_call), but without its reference images:
    they are the batch's template images, added when the job is assembled (`reference_parts`,
    `with_references`)."""
    return image_call(model, replace(request, references=[]))


def reference_parts(model: str, references: list[bytes]) -> list[dict]:
    """inline_data parts of the reference images, at most as many as `model` takes (the
    first ones: the template's own comes first), within Gemini's limits (shrunk if needed)."""
    spec = IMAGE_MODELS.get(model)
    kept = references[: spec.max_references] if spec else references
    return [
        {"inline_data": {"mime_type": mime, "data": base64.b64encode(data).decode("ascii")}}
        for mime, data in prepare_references(kept)
    ]


def with_references(body: dict, parts: list[dict]) -> dict:
    """`body` with the reference image parts after its prompt."""
    content = body["contents"][0]
    return {**body, "contents": [{**content, "parts": [*content["parts"], *parts]}]}


def pack(entries: list[dict], *, limit: int = MAX_INLINE_BYTES) -> list[list[dict]]:
    """The inline request entries in order, split into jobs whose JSON stays under `limit`
    bytes; one entry over the limit alone is refused (INVALID_REQUEST)."""
    jobs: list[list[dict]] = []
    size = 0
    for entry in entries:
        entry_size = len(json.dumps(entry, ensure_ascii=False).encode()) + 2
        if entry_size > limit - _ENVELOPE_BYTES:
            raise ProviderError(
                ErrorKind.INVALID_REQUEST,
                f"one Batch API request is {entry_size / 1024 / 1024:.1f} MB, over the "
                f"{limit // 1024 // 1024} MB of inline requests a job takes",
            )
        if not jobs or size + entry_size > limit - _ENVELOPE_BYTES:
            jobs.append([])
            size = 0
        jobs[-1].append(entry)
        size += entry_size
    return jobs


def batch_price(*, model: str, image_size: str, input_images: int) -> float:
    """The Batch API's price of one image: half the interactive price of the price table."""
    cost = image_cost(model=model, image_size=image_size, input_images=input_images)
    return round(cost * BATCH_PRICE_FACTOR, 6)


@dataclass
class Answer:
    """One request's answer in a finished job: an image, or the error that ended it."""

    image: Image.Image | None = None
    error: ProviderError | None = None
    usage: dict = field(default_factory=dict)


@dataclass
class JobStatus:
    """A job as batches.get reports it: its state, and once it succeeded, answers by key."""

    name: str
    state: str
    answers: dict[str, Answer] = field(default_factory=dict)
    error: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


class GeminiBatchClient:
    """Create, poll and cancel Batch API jobs of image requests."""

    def __init__(self) -> None:
        config = settings.PROVIDER_SETTINGS["gemini"]
        self.base_url = config["base_url"].rstrip("/")
        self.api_key = config["api_key"]
        if not self.api_key:
            raise ProviderError(ErrorKind.AUTH, "the Batch API needs GEMINI_API_KEY")
        self.client = HttpClient(
            provider="gemini", api_key=self.api_key, timeout=settings.PROVIDER_TIMEOUT_SECONDS
        )

    def create(self, *, model: str, display_name: str, entries: list[dict]) -> JobStatus:
        """Submit one job of inline requests (`{"request", "metadata": {"key"}}` entries)."""
        body = {
            "batch": {
                "display_name": display_name,
                "input_config": {"requests": {"requests": entries}},
            }
        }
        return self._call("POST", f"models/{model}:batchGenerateContent", model, json=body)

    def get(self, name: str, *, model: str = "") -> JobStatus:
        return self._call("GET", name, model)

    def cancel(self, name: str, *, model: str = "") -> None:
        self.client.call(
            "POST",
            f"{self.base_url}/v1beta/{name}:cancel",
            model=model,
            handle=lambda response: answer_json(response, who="Gemini", classify=classify_error),
            json={},
            headers={"x-goog-api-key": self.api_key},
        )

    def _call(self, method: str, path: str, model: str, **kwargs: object) -> JobStatus:
        return self.client.call(
            method,
            f"{self.base_url}/v1beta/{path}",
            model=model,
            handle=lambda response: job_status(
                answer_json(response, who="Gemini", classify=classify_error)
            ),
            headers={"x-goog-api-key": self.api_key},
            **kwargs,
        )


def job_status(operation: dict) -> JobStatus:
    """A JobStatus from the Operation batches.get and batchGenerateContent answer."""
    meta = operation.get("metadata") if isinstance(operation.get("metadata"), dict) else {}
    name = operation.get("name") or meta.get("name")
    # A new job's Operation may leave the state out: it is pending until batches.get says more.
    state = meta.get("state") or (None if operation.get("done") else PENDING)
    if not isinstance(name, str) or not name.startswith("batches/") or not isinstance(state, str):
        raise ProviderError(
            ErrorKind.TRANSIENT, "Gemini answered a batch without a batches/ name or a state"
        )
    status = JobStatus(name=name, state=state)
    error = operation.get("error")
    if isinstance(error, dict):
        status.error = short(str(error.get("message") or "no reason given"))
    if state == SUCCEEDED:
        status.answers = _answers(operation)
    return status


def _answers(operation: dict) -> dict[str, Answer]:
    output = operation.get("response") or (operation.get("metadata") or {}).get("output") or {}
    container = output.get("inlinedResponses") if isinstance(output, dict) else None
    items = container.get("inlinedResponses") if isinstance(container, dict) else None
    answers = {}
    for item in items if isinstance(items, list) else []:
        key = ((item.get("metadata") or {}) if isinstance(item, dict) else {}).get("key")
        if isinstance(key, str):
            answers[key] = _answer(item)
    return answers


def _answer(item: dict) -> Answer:
    error = item.get("error")
    if isinstance(error, dict):
        return Answer(error=request_error(error))
    response = item.get("response")
    if not isinstance(response, dict):
        return Answer(error=ProviderError(ErrorKind.TRANSIENT, "Gemini gave no answer"))
    try:
        data = final_image(response)
        image = open_image(data, kind=ErrorKind.TRANSIENT, what="Gemini's image")
    except ProviderError as exc:
        return Answer(error=exc, usage=usage(response))
    return Answer(image=image, usage=usage(response))


def request_error(status: dict) -> ProviderError:
    """The error of one request of a job (a google.rpc.Status), with Gemini's words."""
    code = status.get("code")
    text = f"Gemini's Batch API refused this request: {short(str(status.get('message') or code))}"
    if code in _INVALID_CODES:
        return ProviderError(ErrorKind.INVALID_REQUEST, text)
    if code in _AUTH_CODES:
        return ProviderError(ErrorKind.AUTH, f"{text}; check GEMINI_API_KEY")
    if code == _RATE_CODE:
        return ProviderError(ErrorKind.RATE_LIMITED, text)
    return ProviderError(ErrorKind.TRANSIENT, text)

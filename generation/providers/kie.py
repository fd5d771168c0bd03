"""kie.ai's jobs API for Nano Banana Pro, an asynchronous provider: `createTask` answers a task id
at once (the attempt then waits without holding a worker), and the image arrives later by
webhook (callBackUrl, see generation/api/webhooks.py) or by polling `recordInfo`
(generation.tasks.poll_async_attempts). Reference images are sent as expiring signed links.

Settings: PROVIDER_SETTINGS["kie"], PUBLIC_BASE_URL, PROVIDER_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

import requests
from django.conf import settings
from django.urls import reverse
from PIL import Image

from generation.providers.base import (
    ErrorKind,
    ImageRequest,
    ProviderError,
    ProviderPending,
    requested_image_size,
)
from generation.providers.gemini_requests import aspect_ratio
from generation.providers.http import HttpClient, answer_json, fit_image, open_image, short
from generation.providers.pricing import image_cost

if TYPE_CHECKING:
    from generation.models import StepRun

MAX_REFERENCES = 8
WAITING_STATES = frozenset({"waiting", "queuing", "generating"})
FINAL_STATES = frozenset({"success", "fail"})
_CONTENT_POLICY = re.compile(
    r"polic|safety|sensitive|nsfw|prohibited|violat|inappropriate|moderat|flagged", re.IGNORECASE
)
_USAGE_KEYS = ("costTime",)


@dataclass
class KieOutcome:
    """A finished kie task: an image, or the error that ended it."""

    task_id: str
    image: Image.Image | None
    error: ProviderError | None
    usage: dict = field(default_factory=dict)

    def for_attempt(self, run: StepRun) -> dict:
        """attempt_complete's keyword arguments for this answer to `run`: the image fitted to
        its batch's size and the estimated cost (kie charges nothing for a failed task)."""
        if self.image is None:
            return {"error": self.error, "usage": self.usage}
        batch = run.batch
        model = run.model or batch.opts.model or settings.PROVIDER_SETTINGS["kie"]["image_model"]
        return {
            "image": fit_image(self.image, batch.size),
            "usage": self.usage,
            "cost_usd": cost(
                model=model,
                resolution=requested_image_size(quality=batch.opts.quality, params=run.params),
                references=len(batch.template_snapshot.get("reference_images", [])),
            ),
        }


class KieProvider:
    name = "kie"
    text_model = ""  # images only: choose another text provider
    known_models = ("nano-banana-pro",)
    wants_reference_urls = True

    def __init__(self) -> None:
        config = settings.PROVIDER_SETTINGS[self.name]
        self.base_url = config["base_url"].rstrip("/")
        self.api_key = config["api_key"]
        self.image_model = config["image_model"]
        self.edit_model = config.get("edit_model") or "google/nano-banana-edit"
        self.client = HttpClient(
            provider=self.name, api_key=self.api_key, timeout=settings.PROVIDER_TIMEOUT_SECONDS
        )

    def generate(self, request: ImageRequest) -> NoReturn:
        """Create the task; raises ProviderPending with its id (or ProviderError)."""
        if len(request.reference_urls) > MAX_REFERENCES:
            raise ProviderError(
                ErrorKind.INVALID_REQUEST,
                f"kie accepts at most {MAX_REFERENCES} reference images; "
                f"this request has {len(request.reference_urls)}",
            )
        model, task_input = self._task_input(request)
        body = {"model": model, "callBackUrl": callback_url(), "input": task_input}
        data = self.client.call(
            "POST",
            f"{self.base_url}/api/v1/jobs/createTask",
            model=model,
            handle=answer_data,
            json=body,
            headers=self._headers(),
        )
        task_id = data.get("taskId")
        if not isinstance(task_id, str) or not task_id:
            raise ProviderError(ErrorKind.TRANSIENT, "kie accepted the task without a task id")
        raise ProviderPending(self.name, task_id, model=model)

    def _task_input(self, request: ImageRequest) -> tuple[str, dict]:
        """The model and its input: a refine, and a single image drawn from the user's
        pictures (mode "edit"), go to kie's edit model, the image to edit as the first of its
        `image_urls` (https://docs.kie.ai/market/google/nano-banana-edit)."""
        if request.params.get("mode") in ("refine", "edit"):
            return self.edit_model, {
                "prompt": request.prompt,
                "image_urls": request.reference_urls,
                "image_size": aspect_ratio(request.size),
                "output_format": "png",
            }
        return self.image_model, {
            "prompt": request.prompt,
            "image_input": request.reference_urls,
            "aspect_ratio": aspect_ratio(request.size),
            "resolution": requested_image_size(quality=request.quality, params=request.params),
            "output_format": "png",
        }

    def record_info(self, task_id: str) -> KieOutcome | None:
        """The task's outcome, or None while kie is still waiting, queuing or generating."""
        data = self.client.call(
            "GET",
            f"{self.base_url}/api/v1/jobs/recordInfo",
            model=self.image_model,
            handle=answer_data,
            params={"taskId": task_id},
            headers=self._headers(),
        )
        state = data.get("state")
        if state in WAITING_STATES:
            return None
        if state not in FINAL_STATES:
            raise ProviderError(ErrorKind.TRANSIENT, f"kie answered an unknown state {state!r}")
        return self._outcome(task_id, data)

    def outcome_from_callback(self, payload: object) -> KieOutcome:
        """The outcome kie's webhook reports; ValueError when the payload is malformed."""
        task_id = callback_task_id(payload)
        return self._outcome(task_id, payload["data"])

    def _outcome(self, task_id: str, data: dict) -> KieOutcome:
        """The finished task's outcome; a result image that cannot be fetched is its error."""
        usage = {key: data[key] for key in _USAGE_KEYS if isinstance(data.get(key), int)}
        if data["state"] == "fail":
            return KieOutcome(task_id, None, fail_error(data), usage)
        try:
            image = self._download(result_url(data))
        except ProviderError as exc:
            return KieOutcome(task_id, None, exc, usage)
        return KieOutcome(task_id, image, None, usage)

    def _download(self, url: str) -> Image.Image:
        data = self.client.download(url, model=self.image_model)
        return open_image(data, kind=ErrorKind.TRANSIENT, what="kie's image")

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def callback_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("api:kie-webhook")


def cost(*, model: str, resolution: str, references: int) -> float:
    return image_cost(model=model, image_size=resolution, input_images=references)


def callback_task_id(payload: object) -> str:
    """The task id (data.taskId, or data.task_id as kie's own example spells it) of a webhook
    payload that reports a finished task; ValueError otherwise."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise ValueError("the payload has no data object")
    task_id = data.get("taskId", data.get("task_id"))
    if not isinstance(task_id, str) or not task_id:
        raise ValueError("the payload has no data.taskId")
    if data.get("state") not in FINAL_STATES:
        raise ValueError(f"data.state is {data.get('state')!r}, not success or fail")
    return task_id


def answer_data(response: requests.Response) -> dict:
    """The `data` object of an answer whose HTTP status and body `code` are both 200."""
    body = answer_json(response, who="kie", classify=classify_error)
    code = _code(body.get("code"))
    if code != 200:
        raise code_error(code, body.get("msg"))
    data = body.get("data")
    if not isinstance(data, dict):
        raise ProviderError(ErrorKind.TRANSIENT, "kie answered success without a data object")
    return data


def classify_error(response: requests.Response) -> ProviderError:
    """An HTTP error status, classified like the same code in a body."""
    try:
        message = response.json().get("msg")
    except (ValueError, AttributeError):
        message = None
    return code_error(response.status_code, message or response.reason)


def code_error(code: int | None, message: object) -> ProviderError:
    """kie's codes: 401 bad key, 402 no credit, 429 rate limit, 455 service unavailable,
    5xx server trouble, 400/422 and anything else a request kie will not take."""
    if code is None:
        return ProviderError(ErrorKind.TRANSIENT, "kie answered without a code")
    text = f"kie: {short(str(message or 'no message'))} (code {code})"
    if code == 401:
        return ProviderError(ErrorKind.AUTH, f"{text}; check KIE_API_KEY")
    if code == 402:
        return ProviderError(ErrorKind.AUTH, "the kie account has no credit left (code 402)")
    if code == 429:
        return ProviderError(ErrorKind.RATE_LIMITED, text)
    if code in (408, 455) or code >= 500:
        return ProviderError(ErrorKind.TRANSIENT, text)
    return ProviderError(ErrorKind.INVALID_REQUEST, text)


def fail_error(data: dict) -> ProviderError:
    """A failed task's error, with kie's failMsg in it for the user to read."""
    raw_code = data.get("failCode")
    said = short(str(data.get("failMsg") or "no reason given"))
    text = f"kie could not draw the image: {said}" + (f" (failCode {raw_code})" if raw_code else "")
    code = _code(raw_code)
    if _CONTENT_POLICY.search(f"{said} {raw_code or ''}"):
        return ProviderError(
            ErrorKind.CONTENT_BLOCKED, f"{text}. Change the page's text or prompt."
        )
    if code is not None and (code == 455 or code >= 500):
        return ProviderError(ErrorKind.TRANSIENT, text)
    return ProviderError(ErrorKind.INVALID_REQUEST, text)


def result_url(data: dict) -> str:
    """The first of resultJson's resultUrls (resultJson is a JSON string inside the JSON)."""
    raw = data.get("resultJson")
    try:
        result = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        result = None
    urls = result.get("resultUrls") if isinstance(result, dict) else None
    if not isinstance(urls, list) or not urls or not isinstance(urls[0], str):
        raise ProviderError(ErrorKind.TRANSIENT, "kie reported success without a result URL")
    return urls[0]


def _code(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

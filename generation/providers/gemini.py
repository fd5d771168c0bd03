"""The public Gemini API: `generateContent` for images (Nano Banana models) and for the
planning steps' JSON text. Settings: PROVIDER_SETTINGS["gemini"], PROVIDER_TIMEOUT_SECONDS.

What each model accepts, and which ids Google has shut down, is in gemini_models; requests
are shaped per model by `image_call` (reusable, e.g. for the Batch API's inline requests)."""

from __future__ import annotations

import base64
import io
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from django.conf import settings
from django.utils import timezone
from PIL import Image

from generation.providers.base import (
    ErrorKind,
    ImageRequest,
    ImageResult,
    ProviderError,
    requested_image_size,
)
from generation.providers.gemini_models import (
    DEPRECATIONS_PAGE,
    IMAGE_MODELS,
    RETIRED,
    TEN_RATIOS,
    image_model_problem,
    text_model_problem,
    usable_image_models,
)
from generation.providers.http import (
    MIME_TYPES,
    HttpClient,
    answer_json,
    answer_png,
    decode_base64,
    error_body,
    fit_image,
    open_image,
    short,
)
from generation.providers.pricing import image_cost
from generation.providers.textprompts import (
    ModelPlanning,
)

T = TypeVar("T")
logger = logging.getLogger("nanodeck.providers")

ASPECT_RATIOS = TEN_RATIOS
# The most reference images any model takes; each model's own limit is in gemini_models.
MAX_REFERENCES = 14
MAX_REFERENCE_BYTES = 7 * 1024 * 1024
MAX_REQUEST_BYTES = 20 * 1024 * 1024
# Raw image bytes that fit in a request once base64 (4/3) and the prompt are added.
_REQUEST_IMAGE_BYTES = (MAX_REQUEST_BYTES - 256 * 1024) * 3 // 4
_MAX_SOURCE_BYTES = 64 * 1024 * 1024  # a reference image we are willing to decode and shrink
_SHRINK_SCALES = (1.0, 0.75, 0.5, 0.35, 0.25)
# A daily quota resets at midnight Pacific time: far beyond any wait worth holding a worker for.
DAILY_QUOTA_RETRY_SECONDS = 86400.0
_GOOGLE_RPC = "type.googleapis.com/google.rpc."
_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")

BLOCK_REASONS = {
    "SAFETY": "the request or the answer was flagged by the safety filters",
    "IMAGE_SAFETY": "the image being drawn was flagged by the image safety filters",
    "PROHIBITED_CONTENT": "the request was judged to contain prohibited content",
    "IMAGE_PROHIBITED_CONTENT": "the image being drawn was judged to be prohibited content",
    "RECITATION": "the answer resembled existing copyrighted material too closely",
    "IMAGE_RECITATION": "the image resembled existing copyrighted material too closely",
    "BLOCKLIST": "the request contained blocked terms",
    "SPII": "the request contained sensitive personal information",
    "NO_IMAGE": "the model declined to draw an image for this prompt",
    "IMAGE_OTHER": "the image was stopped for a policy reason Gemini does not name",
    "OTHER": "the request was blocked for a reason Gemini does not name",
}
# Finish reasons that mean "blocked"; a plain OTHER finish is not one.
_BLOCKING_FINISH = frozenset(BLOCK_REASONS) - {"OTHER"}
_USAGE_KEYS = ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "totalTokenCount")


@dataclass(frozen=True)
class ImageCall:
    """One generateContent request for an image, shaped to what its model accepts."""

    model: str
    body: dict
    image_size: str  # what is billed: the imageSize sent, or "1K" for a model without one
    references: int  # reference images sent


class GeminiProvider(ModelPlanning):
    name = "gemini"
    wants_reference_urls = False

    def __init__(self) -> None:
        config = settings.PROVIDER_SETTINGS[self.name]
        self.base_url = config["base_url"].rstrip("/")
        self.api_key = config["api_key"]
        self.image_model = config["image_model"]
        self.text_model = config["text_model"]
        self.client = HttpClient(
            provider=self.name, api_key=self.api_key, timeout=settings.PROVIDER_TIMEOUT_SECONDS
        )

    @property
    def known_models(self) -> tuple[str, ...]:
        """The image models a batch may choose today (shut-down ones left out)."""
        return tuple(usable_image_models(today=timezone.localdate()))

    def model_problem(self, model: str) -> str:
        """Why this image model cannot be used today, naming the replacement; "" if it can."""
        return image_model_problem(model, today=timezone.localdate())

    def text_model_problem(self) -> str:
        return text_model_problem(self.text_model, today=timezone.localdate())

    # Images

    def generate(self, request: ImageRequest) -> ImageResult:
        problem = self.model_problem(self.image_model)
        if problem:
            raise ProviderError(ErrorKind.INVALID_REQUEST, problem)
        call = image_call(self.image_model, request)

        def read(data: dict) -> ImageResult:
            answer = final_image(data)
            image = open_image(answer, kind=ErrorKind.TRANSIENT, what="Gemini's image")
            fitted = fit_image(image, request.size)
            return ImageResult(
                image=fitted,
                png=answer_png(answer, image, fitted),
                provider=self.name,
                model=self.image_model,
                usage=usage(data),
                cost_usd=image_cost(
                    model=self.image_model,
                    image_size=call.image_size,
                    input_images=call.references,
                ),
            )

        return self._generate_content(self.image_model, call.body, read)

    # Planning steps

    def _ask(self, prompt: str) -> str:
        problem = self.text_model_problem()
        if problem:
            raise ProviderError(ErrorKind.INVALID_REQUEST, problem)
        return self._generate_content(self.text_model, text_request_body(prompt), answer_text)

    def _generate_content(self, model: str, body: dict, read: Callable[[dict], T]) -> T:
        return self.client.call(
            "POST",
            f"{self.base_url}/v1beta/models/{model}:generateContent",
            model=model,
            handle=lambda response: read(
                answer_json(
                    response,
                    who="Gemini",
                    classify=lambda answer: classify_error(answer, model=model),
                )
            ),
            json=body,
            headers={"x-goog-api-key": self.api_key},
        )


def image_call(model: str, request: ImageRequest) -> ImageCall:
    """The generateContent request for `request` on `model`, shaped to what the model accepts
    (https://ai.google.dev/gemini-api/docs/image-generation): the requested size laddered down
    to one it takes (no imageSize at all for a 1K-only model without the field), the nearest
    aspect ratio it offers, and at most its number of reference images (the first ones: the
    template's own comes first). Raises INVALID_REQUEST for a model not in the table."""
    spec = IMAGE_MODELS.get(model)
    if spec is None:
        raise ProviderError(
            ErrorKind.INVALID_REQUEST, f"model '{model}' is not a known image model"
        )
    wanted = requested_image_size(quality=request.quality, params=request.params)
    size = spec.size_for(wanted)
    references = request.references[: spec.max_references]
    if len(references) < len(request.references):
        logger.info(
            "gemini_references_capped model=%s sent=%s of=%s",
            model,
            len(references),
            len(request.references),
        )
    parts: list[dict] = [{"text": request.prompt}]
    for mime, data in prepare_references(references):
        encoded = base64.b64encode(data).decode("ascii")
        parts.append({"inline_data": {"mime_type": mime, "data": encoded}})
    image_config = {"aspectRatio": aspect_ratio(request.size, spec.aspect_ratios)}
    if size is not None:
        image_config["imageSize"] = size
    config: dict = {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": image_config}
    if request.params.get("seed") is not None:
        config["seed"] = int(request.params["seed"])
    body = {"contents": [{"role": "user", "parts": parts}], "generationConfig": config}
    return ImageCall(model, body, size or "1K", len(references))


def text_request_body(prompt: str) -> dict:
    """A generateContent request asking for a JSON answer to `prompt`."""
    return {
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": {"responseMimeType": "application/json"},
    }


def aspect_ratio(size: tuple[int, int], ratios: tuple[str, ...] = ASPECT_RATIOS) -> str:
    """The aspect ratio among `ratios` nearest to width:height (compared on a log scale)."""
    target = math.log(size[0] / size[1])

    def distance(ratio: str) -> float:
        width, height = ratio.split(":")
        return abs(math.log(int(width) / int(height)) - target)

    return min(ratios, key=distance)


def prepare_references(references: list[bytes]) -> list[tuple[str, bytes]]:
    """(mime type, bytes) per reference image, in order, within Gemini's limits: images over
    7 MB, or together over what a 20 MB request holds, are re-encoded as JPEG and shrunk."""
    if len(references) > MAX_REFERENCES:
        raise ProviderError(
            ErrorKind.INVALID_REQUEST,
            f"Gemini accepts at most {MAX_REFERENCES} reference images; "
            f"this request has {len(references)}",
        )
    prepared = [
        _shrink(data, MAX_REFERENCE_BYTES, number) for number, data in enumerate(references, 1)
    ]
    if sum(len(data) for _, data in prepared) > _REQUEST_IMAGE_BYTES:
        share = _REQUEST_IMAGE_BYTES // len(prepared)
        prepared = [_shrink(data, share, number) for number, (_, data) in enumerate(prepared, 1)]
    return prepared


def _shrink(data: bytes, limit: int, number: int) -> tuple[str, bytes]:
    what = f"reference image {number}"
    image = open_image(data, kind=ErrorKind.INVALID_REQUEST, what=what, max_bytes=_MAX_SOURCE_BYTES)
    if len(data) <= limit:
        return MIME_TYPES[image.format], data
    rgb = image.convert("RGB")
    for scale in _SHRINK_SCALES:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        buffer = io.BytesIO()
        rgb.resize(size, Image.Resampling.LANCZOS).save(buffer, "JPEG", quality=88)
        if buffer.tell() <= limit:
            return "image/jpeg", buffer.getvalue()
    raise ProviderError(
        ErrorKind.INVALID_REQUEST,
        f"{what} ({len(data) / 1024 / 1024:.1f} MB) is still too large for Gemini after "
        f"shrinking it to a quarter of its size (up to {MAX_REFERENCE_BYTES // 1024 // 1024} MB "
        f"per image and {MAX_REQUEST_BYTES // 1024 // 1024} MB per request): use a smaller image",
    )


def classify_error(response: requests.Response, *, model: str = "") -> ProviderError:
    """Map Gemini's error envelope {"error": {"code", "message", "status", "details"}}.
    404 NOT_FOUND for a model is an invalid request naming the model (a retry cannot help)."""
    error = error_body(response)
    code, status = response.status_code, str(error.get("status") or "")
    details = [item for item in error.get("details") or [] if isinstance(item, dict)]
    said = short(error.get("message") or response.reason or "no message")
    text = f"Gemini: {said} (HTTP {code}{' ' + status if status else ''})"
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        if _daily_quota(details):
            return ProviderError(
                ErrorKind.RATE_LIMITED,
                f"{text}; the daily quota is used up",
                retry_after=DAILY_QUOTA_RETRY_SECONDS,
            )
        return ProviderError(ErrorKind.RATE_LIMITED, text, retry_after=_retry_delay(details))
    reasons = {item.get("reason") for item in _details(details, "ErrorInfo")}
    if code in (401, 403) or "API_KEY_INVALID" in reasons:
        return ProviderError(ErrorKind.AUTH, f"{text}; check GEMINI_API_KEY")
    if code == 408 or code >= 500:
        return ProviderError(ErrorKind.TRANSIENT, text)
    if code == 404 and model:
        return ProviderError(ErrorKind.INVALID_REQUEST, _not_found(text, model))
    return ProviderError(ErrorKind.INVALID_REQUEST, text)


def _not_found(text: str, model: str) -> str:
    """Gemini's 404 for a model, with what to use instead when we know it."""
    retired = RETIRED.get(model)
    instead = f"; use '{retired.replacement}' instead" if retired else ""
    return f"{text}; Google does not serve model '{model}' (see {DEPRECATIONS_PAGE}){instead}"


def _details(details: list[dict], kind: str) -> list[dict]:
    return [item for item in details if item.get("@type") == _GOOGLE_RPC + kind]


def _daily_quota(details: list[dict]) -> bool:
    return any(
        "PerDay" in str(violation.get("quotaId", ""))
        for item in _details(details, "QuotaFailure")
        for violation in item.get("violations") or []
        if isinstance(violation, dict)
    )


def _retry_delay(details: list[dict]) -> float | None:
    """RetryInfo.retryDelay ("47s", "0.5s") in seconds."""
    for item in _details(details, "RetryInfo"):
        match = _DELAY.match(str(item.get("retryDelay", "")))
        if match:
            return float(match.group(1))
    return None


def _get(data: dict, camel: str, snake: str) -> object:
    """A field by its camelCase or snake_case name (the API accepts and answers both)."""
    return data.get(camel, data.get(snake))


def _candidate(data: dict) -> dict:
    candidates = data.get("candidates") or []
    if candidates and isinstance(candidates[0], dict):
        return candidates[0]
    feedback = _get(data, "promptFeedback", "prompt_feedback") or {}
    reason = _get(feedback, "blockReason", "block_reason") if isinstance(feedback, dict) else None
    if reason:
        raise _blocked(str(reason))
    raise ProviderError(ErrorKind.TRANSIENT, "Gemini answered without any candidate")


def _parts(candidate: dict) -> list[dict]:
    content = candidate.get("content") or {}
    parts = (content.get("parts") or []) if isinstance(content, dict) else []
    return [part for part in parts if isinstance(part, dict) and not part.get("thought")]


def _finish_reason(candidate: dict) -> str:
    return str(_get(candidate, "finishReason", "finish_reason") or "")


def _text(parts: list[dict]) -> str:
    return "".join(part["text"] for part in parts if isinstance(part.get("text"), str))


def _blocked(reason: str) -> ProviderError:
    words = BLOCK_REASONS.get(reason, "the request was blocked")
    return ProviderError(
        ErrorKind.CONTENT_BLOCKED,
        f"Gemini refused: {words} (reason {reason}). Change the page's text or prompt and "
        "try again.",
    )


def final_image(data: dict) -> bytes:
    """The bytes of the last image part that is not a thought; a blocked answer raises
    CONTENT_BLOCKED with the reason in words, an answer with no image TRANSIENT."""
    candidate = _candidate(data)
    parts = _parts(candidate)
    images = [_get(part, "inlineData", "inline_data") for part in parts]
    images = [image for image in images if isinstance(image, dict) and image.get("data")]
    if images:
        return decode_base64(images[-1]["data"], kind=ErrorKind.TRANSIENT, what="Gemini's image")
    reason = _finish_reason(candidate)
    if reason in _BLOCKING_FINISH:
        raise _blocked(reason)
    said = _text(parts)
    raise ProviderError(
        ErrorKind.TRANSIENT,
        f"Gemini answered without an image (finish reason {reason or 'none'})"
        + (f": {short(said, 200)}" if said else ""),
    )


def answer_text(data: dict) -> str:
    """The concatenated text of the parts that are not thoughts."""
    candidate = _candidate(data)
    text = _text(_parts(candidate))
    reason = _finish_reason(candidate)
    if not text and reason in _BLOCKING_FINISH:
        raise _blocked(reason)
    return text


def usage(data: dict) -> dict:
    """usageMetadata's token counts under their API names, from either spelling."""
    meta = _get(data, "usageMetadata", "usage_metadata")
    if not isinstance(meta, dict):
        return {}
    counts = {key: _get(meta, key, _snake(key)) for key in _USAGE_KEYS}
    return {key: value for key, value in counts.items() if isinstance(value, int)}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

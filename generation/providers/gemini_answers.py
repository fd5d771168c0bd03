"""Gemini's answers read: its error envelope mapped to a ProviderError (`classify_error`), the
image or text of an answer with blocked answers explained in words (`final_image`,
`answer_text`), and the token counts (`usage`)."""

from __future__ import annotations

import re

import requests

from generation.providers.base import ErrorKind, ProviderError
from generation.providers.gemini_models import DEPRECATIONS_PAGE, RETIRED
from generation.providers.http import decode_base64, error_body, short

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

"""OpenAI-compatible APIs: `images/generations`, `images/edits` (with reference images) and
chat completions for the planning steps' JSON text. Gateways that return images from chat
completions are used with PROVIDER_SETTINGS["openai"]["image_api"] = "chat"."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from typing import TypeVar

import requests
from django.conf import settings

from generation.providers.base import ErrorKind, ImageRequest, ImageResult, ProviderError
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
from generation.providers.textprompts import (
    ModelPlanning,
)

T = TypeVar("T")

SIZES = ((1536, 1024), (1024, 1024), (1024, 1536))
QUALITIES = {"hd": "high", "standard": "medium"}
MAX_REFERENCES = 16
MAX_REFERENCE_BYTES = 50 * 1024 * 1024
BLOCKED_CODES = frozenset({"moderation_blocked", "content_policy_violation"})
# Out of credit: nothing changes until someone pays, so no retry soon.
BILLING_RETRY_SECONDS = 86400.0
_DATA_URL = re.compile(r"^data:(image/[\w.+-]+);base64,(.*)$", re.DOTALL)


class OpenAIProvider(ModelPlanning):
    name = "openai"
    known_models: tuple[str, ...] = ()
    wants_reference_urls = False

    def __init__(self) -> None:
        config = settings.PROVIDER_SETTINGS[self.name]
        self.base_url = config["base_url"].rstrip("/")
        self.api_key = config["api_key"]
        self.image_model = config["image_model"]
        self.text_model = config["text_model"]
        self.image_api = config.get("image_api", "images")
        self.client = HttpClient(
            provider=self.name, api_key=self.api_key, timeout=settings.PROVIDER_TIMEOUT_SECONDS
        )

    # Images

    def generate(self, request: ImageRequest) -> ImageResult:
        if len(request.references) > MAX_REFERENCES:
            raise ProviderError(
                ErrorKind.INVALID_REQUEST,
                f"OpenAI accepts at most {MAX_REFERENCES} reference images; "
                f"this request has {len(request.references)}",
            )
        references = [_reference(data, number) for number, data in enumerate(request.references, 1)]
        if self.image_api == "chat":
            found, usage = self._chat_image(request, references)
        else:
            found, usage = self._images_api(request, references)
        data = (
            found
            if isinstance(found, bytes)
            else self.client.download(found, model=self.image_model)
        )
        image = open_image(data, kind=ErrorKind.TRANSIENT, what="OpenAI's image")
        fitted = fit_image(image, request.size)
        return ImageResult(
            image=fitted,
            png=answer_png(data, image, fitted),
            provider=self.name,
            model=self.image_model,
            usage=usage,
        )

    def _images_api(
        self, request: ImageRequest, references: list[tuple[str, bytes]]
    ) -> tuple[bytes | str, dict]:
        """(image bytes or a link to them, usage) from images/generations or images/edits."""
        fields = {
            "model": self.image_model,
            "prompt": request.prompt,
            "size": image_size(request.size),
            "quality": QUALITIES.get(request.quality, "medium"),
        }
        if references:
            files = [
                ("image[]", (f"reference-{number}.{mime.split('/')[1]}", data, mime))
                for number, (mime, data) in enumerate(references, 1)
            ]
            return self._post(
                "images/edits", self.image_model, read_images, data=fields, files=files
            )
        return self._post(
            "images/generations", self.image_model, read_images, json={**fields, "n": 1}
        )

    def _chat_image(
        self, request: ImageRequest, references: list[tuple[str, bytes]]
    ) -> tuple[bytes | str, dict]:
        content: list[dict] = [{"type": "text", "text": request.prompt}]
        for mime, data in references:
            url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
            content.append({"type": "image_url", "image_url": {"url": url}})
        body = {
            "model": self.image_model,
            "messages": [{"role": "user", "content": content}],
            "modalities": ["image", "text"],
        }
        return self._post("chat/completions", self.image_model, read_chat_image, json=body)

    # Planning steps

    def _ask(self, prompt: str) -> str:
        body = {
            "model": self.text_model,
            "messages": [{"role": "user", "content": prompt}],
            "response_format": {"type": "json_object"},
        }
        return self._post("chat/completions", self.text_model, read_chat_text, json=body)

    def _post(self, endpoint: str, model: str, read: Callable[[dict], T], **kwargs: object) -> T:
        return self.client.call(
            "POST",
            f"{self.base_url}/v1/{endpoint}",
            model=model,
            handle=lambda response: read(
                answer_json(response, who="OpenAI", classify=classify_error)
            ),
            headers={"Authorization": f"Bearer {self.api_key}"},
            **kwargs,
        )


def image_size(size: tuple[int, int]) -> str:
    """The supported size whose aspect ratio is nearest to the requested one."""
    target = math.log(size[0] / size[1])
    width, height = min(SIZES, key=lambda option: abs(math.log(option[0] / option[1]) - target))
    return f"{width}x{height}"


def _reference(data: bytes, number: int) -> tuple[str, bytes]:
    image = open_image(
        data,
        kind=ErrorKind.INVALID_REQUEST,
        what=f"reference image {number}",
        max_bytes=MAX_REFERENCE_BYTES,
    )
    return MIME_TYPES[image.format], data


def classify_error(response: requests.Response) -> ProviderError:
    """Map {"error": {"message", "type", "param", "code"}} and the HTTP status."""
    error = error_body(response)
    status, code = response.status_code, str(error.get("code") or "")
    said = short(error.get("message") or response.reason or "no message")
    text = f"OpenAI: {said} (HTTP {status}{', ' + code if code else ''})"
    if code in BLOCKED_CODES:
        return ProviderError(
            ErrorKind.CONTENT_BLOCKED,
            f"OpenAI refused: its content moderation blocked the request ({code}). Change the "
            f"page's text or prompt and try again. It said: {said}",
        )
    if status == 429:
        if code == "insufficient_quota":
            return ProviderError(
                ErrorKind.RATE_LIMITED,
                f"{text}; the account is out of credit",
                retry_after=BILLING_RETRY_SECONDS,
            )
        return ProviderError(ErrorKind.RATE_LIMITED, text, retry_after=retry_after(response))
    if status in (401, 403):
        return ProviderError(ErrorKind.AUTH, f"{text}; check OPENAI_API_KEY")
    if status == 408 or status >= 500:
        return ProviderError(ErrorKind.TRANSIENT, text)
    return ProviderError(ErrorKind.INVALID_REQUEST, text)


def retry_after(response: requests.Response) -> float | None:
    """Seconds to wait from `retry-after-ms` (preferred) or `retry-after` (seconds)."""
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(response.headers[header]) * scale
        except (KeyError, ValueError):
            continue
    return None


def read_images(data: dict) -> tuple[bytes | str, dict]:
    """(bytes of data[0].b64_json, or data[0].url, usage) of an images API answer."""
    items = data.get("data")
    item = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    if item.get("b64_json"):
        image = decode_base64(item["b64_json"], kind=ErrorKind.TRANSIENT, what="OpenAI's image")
        return image, usage
    if item.get("url"):
        return _link(item["url"]), usage
    raise ProviderError(ErrorKind.TRANSIENT, "OpenAI answered without an image")


def read_chat_image(data: dict) -> tuple[bytes | str, dict]:
    """The last image of choices[0].message: in `images`, else in a `content` list."""
    message, finish = _message(data)
    images = message.get("images")
    urls = [_image_url(item) for item in images] if isinstance(images, list) else []
    if not any(urls) and isinstance(message.get("content"), list):
        urls = [_image_url(item) for item in message["content"]]
    urls = [url for url in urls if url]
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    if urls:
        return _link(urls[-1]), usage
    _raise_if_refused(message, finish)
    said = message.get("content") if isinstance(message.get("content"), str) else ""
    raise ProviderError(
        ErrorKind.TRANSIENT,
        f"OpenAI answered without an image (finish reason {finish or 'none'})"
        + (f": {short(said, 200)}" if said else ""),
    )


def read_chat_text(data: dict) -> str:
    message, finish = _message(data)
    content = message.get("content")
    if isinstance(content, str) and content:
        return content
    _raise_if_refused(message, finish)
    return ""


def _message(data: dict) -> tuple[dict, str]:
    choices = data.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else None
    if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
        raise ProviderError(ErrorKind.TRANSIENT, "OpenAI answered without any choice")
    return choice["message"], str(choice.get("finish_reason") or "")


def _raise_if_refused(message: dict, finish: str) -> None:
    if finish == "content_filter" or message.get("refusal"):
        said = short(message.get("refusal") or "", 200)
        raise ProviderError(
            ErrorKind.CONTENT_BLOCKED,
            "OpenAI refused: its content filter blocked the answer. Change the page's text or "
            "prompt and try again." + (f" It said: {said}" if said else ""),
        )


def _image_url(item: object) -> str:
    if not isinstance(item, dict) or not isinstance(item.get("image_url"), dict):
        return ""
    return str(item["image_url"].get("url") or "")


def _link(url: str) -> bytes | str:
    """A data URL's bytes, or an http(s) link to download."""
    match = _DATA_URL.match(url)
    if match:
        return decode_base64(match.group(2), kind=ErrorKind.TRANSIENT, what="OpenAI's image")
    if url.startswith(("https://", "http://")):
        return url
    raise ProviderError(ErrorKind.TRANSIENT, "OpenAI answered with an image link it cannot read")

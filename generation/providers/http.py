"""What the HTTP providers share: one session each, classified transport errors, one log line
per call, safe image decoding, and keys kept out of every message and log line."""

from __future__ import annotations

import base64
import binascii
import io
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import requests
from PIL import Image, ImageOps, UnidentifiedImageError

from generation.providers.base import ErrorKind, ProviderError

logger = logging.getLogger("nanodeck.providers")
T = TypeVar("T")

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # a 4K 21:9 image is ~13 Mpx; anything far above is suspect
MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
_MESSAGE_CHARS = 300


def redact(text: str, secret: str) -> str:
    """The text with every occurrence of the secret replaced by '***'."""
    return text.replace(secret, "***") if secret else text


def short(text: str, limit: int = _MESSAGE_CHARS) -> str:
    """One line of at most `limit` characters: what a provider said, fit for a message."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def open_image(
    data: bytes,
    *,
    kind: ErrorKind,
    what: str,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> Image.Image:
    """Decode PNG, JPEG or WebP bytes (format detected from the bytes, not a name or header).

    Anything else, or an image over the byte or pixel limit, raises ProviderError(kind): pass
    INVALID_REQUEST for images we send, TRANSIENT for images a provider answered with.
    """
    if len(data) > max_bytes:
        raise ProviderError(kind, f"{what} is {_mb(len(data))}, over the {_mb(max_bytes)} limit")
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in MIME_TYPES:
            raise ProviderError(kind, f"{what} is a {image.format} image, not PNG, JPEG or WebP")
        if image.width * image.height > max_pixels:
            raise ProviderError(
                kind, f"{what} is {image.width}x{image.height} pixels, over the pixel limit"
            )
        image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        raise ProviderError(kind, f"{what} is not a readable image") from None
    return image


def decode_base64(data: str, *, kind: ErrorKind, what: str) -> bytes:
    """Standard base64 (line breaks allowed); anything else raises ProviderError(kind)."""
    try:
        return base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ProviderError(kind, f"{what} is not valid base64") from None


def answer_json(
    response: requests.Response, *, who: str, classify: Callable[[requests.Response], ProviderError]
) -> dict:
    """The JSON object of a 2xx answer; any other answer raises classify(response)."""
    if not 200 <= response.status_code < 300:
        raise classify(response)
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ProviderError(
            ErrorKind.TRANSIENT,
            f"{who} answered HTTP {response.status_code} with a body that is not a JSON object",
        )
    return data


def error_body(response: requests.Response) -> dict:
    """The {"error": {...}} object both Gemini and OpenAI answer with, or {}."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    if isinstance(error, str):
        return {"message": error}
    return error if isinstance(error, dict) else {}


def fit_image(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """An RGB image of exactly `size`: scaled to cover it, centre-cropped if the ratio differs."""
    rgb = image.convert("RGB")
    if rgb.size == size:
        return rgb
    return ImageOps.fit(rgb, size, Image.Resampling.LANCZOS)


def answer_png(data: bytes, image: Image.Image, fitted: Image.Image) -> bytes | None:
    """`data`, when it is the PNG that `fitted` (fit_image of `image`, decoded from `data`)
    holds pixel for pixel: RGB and already the size asked for, so neither converted nor
    resampled. Stored as the provider sent it; None: the pipeline encodes `fitted` itself."""
    if image.format == "PNG" and image.mode == "RGB" and image.size == fitted.size:
        return data
    return None


def _mb(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB"


class HttpClient:
    """One requests.Session per provider instance; every call logged, every error redacted."""

    def __init__(self, *, provider: str, api_key: str, timeout: float) -> None:
        self.provider = provider
        self.api_key = api_key
        self.timeout = timeout
        self.session = requests.Session()

    def call(
        self,
        method: str,
        url: str,
        *,
        model: str,
        handle: Callable[[requests.Response], T],
        **kwargs: object,
    ) -> T:
        """Send one request and pass the response to `handle`, which returns the result or
        raises ProviderError; timeouts and connection failures are TRANSIENT."""
        with self._logged(model) as status:
            response = self._send(method, url, **kwargs)
            status.append(response.status_code)
            return handle(response)

    def download(self, url: str, *, model: str, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
        """Fetch an image a provider links to, without our key, refusing non-images and
        bodies over max_bytes (TRANSIENT: the provider's answer was unusable)."""
        with self._logged(model) as status:
            response = self._send("GET", url, stream=True)
            status.append(response.status_code)
            with response:
                return self._read_image(response, max_bytes)

    def _read_image(self, response: requests.Response, max_bytes: int) -> bytes:
        if response.status_code != 200:
            raise ProviderError(
                ErrorKind.TRANSIENT,
                f"{self.provider}: downloading the image failed (HTTP {response.status_code})",
            )
        content_type = response.headers.get("Content-Type", "")
        if not content_type.startswith("image/"):
            raise ProviderError(
                ErrorKind.TRANSIENT,
                f"{self.provider}: the image link served {short(content_type, 60) or 'no type'}, "
                "not an image",
            )
        body = bytearray()
        for chunk in response.iter_content(chunk_size=65536):
            body += chunk
            if len(body) > max_bytes:
                raise ProviderError(
                    ErrorKind.TRANSIENT,
                    f"{self.provider}: the linked image is over the {_mb(max_bytes)} limit",
                )
        return bytes(body)

    def _send(self, method: str, url: str, **kwargs: object) -> requests.Response:
        if not self.api_key:
            raise ProviderError(
                ErrorKind.AUTH,
                f"no API key for {self.provider}: set {self.provider.upper()}_API_KEY",
            )
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise ProviderError(
                ErrorKind.TRANSIENT, f"{self.provider} did not answer within {self.timeout} s"
            ) from None
        except requests.RequestException as exc:
            raise ProviderError(
                ErrorKind.TRANSIENT,
                f"could not reach {self.provider}: {short(type(exc).__name__ + ': ' + str(exc))}",
            ) from None

    @contextmanager
    def _logged(self, model: str) -> Iterator[list[int]]:
        """Log `provider_call` once with the HTTP status (appended by the caller), the latency
        and the outcome; a ProviderError leaves with the key redacted from its message."""
        started = time.monotonic()
        status: list[int] = []
        outcome = "error"
        try:
            yield status
            outcome = "ok"
        except ProviderError as exc:
            outcome = str(exc.kind)
            raise ProviderError(
                exc.kind, redact(exc.message, self.api_key), retry_after=exc.retry_after
            ) from None
        finally:
            logger.info(
                "provider_call provider=%s model=%s status=%s latency_ms=%s outcome=%s",
                self.provider,
                model,
                status[0] if status else "-",
                round((time.monotonic() - started) * 1000),
                outcome,
            )

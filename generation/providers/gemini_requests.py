"""Gemini's generateContent requests: an image request shaped to what its model accepts
(`image_call`, reused for the Batch API's inline requests), a JSON text request, the aspect
ratio nearest a slide's size, and reference images fitted within Gemini's limits."""

from __future__ import annotations

import base64
import io
import logging
import math
from dataclasses import dataclass

from PIL import Image

from generation.providers.base import ErrorKind, ImageRequest, ProviderError, requested_image_size
from generation.providers.gemini_models import IMAGE_MODELS, TEN_RATIOS
from generation.providers.http import MIME_TYPES, open_image

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


@dataclass(frozen=True)
class ImageCall:
    """One generateContent request for an image, shaped to what its model accepts."""

    model: str
    body: dict
    image_size: str  # what is billed: the imageSize sent, or "1K" for a model without one
    references: int  # reference images sent


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

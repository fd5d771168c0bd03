"""Gemini's wire format as the loopback server speaks it in test_gemini_*.py: the request
paths, answers with image, text and thought parts, the error envelope, and a slide request."""

import base64
import io

from PIL import Image

from generation.providers.base import ImageRequest
from tests.generation.providers.conftest import IMAGE_MODEL, TEXT_MODEL

PATH = f"/v1beta/models/{IMAGE_MODEL}:generateContent"
TEXT_PATH = f"/v1beta/models/{TEXT_MODEL}:generateContent"


def slide_request(**fields: object) -> ImageRequest:
    return ImageRequest(**{"prompt": "A slide about tides", "size": (160, 90), **fields})


def inline(data: bytes, *, thought: bool = False) -> dict:
    part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}}
    return {**part, "thought": True} if thought else part


def answer(*parts: dict, finish: str = "STOP", **extra: object) -> tuple[int, dict, dict]:
    candidate = {"content": {"role": "model", "parts": list(parts)}, "finishReason": finish}
    return 200, {}, {"candidates": [candidate], **extra}


def text_answer(text: str) -> tuple[int, dict, dict]:
    return answer({"text": "Thinking about the layout.", "thought": True}, {"text": text})


def error(code: int, status: str, message: str, *details: dict) -> tuple[int, dict, dict]:
    body = {"error": {"code": code, "message": message, "status": status, "details": details}}
    return code, {}, body


def colour(image: Image.Image) -> tuple[int, int, int]:
    return image.getpixel((image.width // 2, image.height // 2))


def decoded(part: dict) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(part["inline_data"]["data"])))

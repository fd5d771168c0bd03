"""Provider contracts (DESIGN §5): one error type with a kind, requests and results."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from PIL import Image

from generation.slides import TextBox, Theme


class ErrorKind(StrEnum):
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    INVALID_REQUEST = "invalid_request"
    CONTENT_BLOCKED = "content_blocked"
    AUTH = "auth"


RETRYABLE = frozenset({ErrorKind.RATE_LIMITED, ErrorKind.TRANSIENT})
IMAGE_SIZES = ("1K", "2K", "4K")  # image models' output sizes, smallest first


class ProviderError(Exception):
    def __init__(self, kind: ErrorKind, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


def default_image_size(quality: str) -> str:
    """'2K' for hd quality, '1K' otherwise."""
    return "2K" if quality == "hd" else "1K"


def next_image_size(size: str | None) -> str:
    """The next size up the ladder (the largest stays); from the smallest when none is set."""
    current = IMAGE_SIZES.index(size or IMAGE_SIZES[0])
    return IMAGE_SIZES[min(current + 1, len(IMAGE_SIZES) - 1)]


def requested_image_size(*, quality: str, params: dict) -> str:
    """params["image_size"] when given, else the quality's default; a size off the ladder is
    an INVALID_REQUEST."""
    wanted = params.get("image_size")
    if wanted is None:
        return default_image_size(quality)
    if wanted not in IMAGE_SIZES:
        raise ProviderError(
            ErrorKind.INVALID_REQUEST,
            f"image_size must be one of {', '.join(IMAGE_SIZES)}, not {wanted!r}",
        )
    return wanted


class ProviderPending(Exception):
    """An asynchronous provider accepted the job; its result arrives by webhook or polling."""

    def __init__(self, provider: str, task_id: str, *, model: str = "") -> None:
        super().__init__(f"{provider} task {task_id} is pending")
        self.provider = provider
        self.task_id = task_id
        self.model = model


@dataclass
class ImageRequest:
    prompt: str
    size: tuple[int, int]
    quality: str = "standard"
    references: list[bytes] = field(default_factory=list)
    # The same reference images as expiring signed URLs, for providers that fetch them.
    reference_urls: list[str] = field(default_factory=list)
    # What a layout-aware provider (the local renderer) draws from instead of the prompt.
    page_plan: dict = field(default_factory=dict)
    theme: Theme | None = None
    params: dict = field(default_factory=dict)
    # Set when the answer is no longer wanted (a hedged twin answered first): a provider that
    # can stop early watches it; the others run to the end and their answer is discarded.
    cancel: threading.Event = field(default_factory=threading.Event, compare=False)


@dataclass
class ImageResult:
    image: Image.Image
    provider: str
    model: str
    boxes: list[TextBox] | None = None  # known only when the provider laid the text out itself
    safe_box: tuple[int, int, int, int] | None = None
    layout: str = ""
    usage: dict = field(default_factory=dict)
    cost_usd: float = 0.0  # estimated from the price table (generation/providers/pricing.py)
    # The PNG the provider answered with, when `image` is exactly its pixels (RGB, the size
    # asked for): stored as it came instead of encoded again (~15 ms of CPU a 1536x864 slide).
    png: bytes | None = None


class Provider(Protocol):
    """What every provider declares: its name and the models it calls ("" where it has none)."""

    name: str
    image_model: str  # draws the render step; a batch may choose another of known_models
    text_model: str  # does the planning steps; "" for a provider of images only


class TextProvider(Provider, Protocol):
    """Does the planning steps' work: structure an outline, plan pages, describe a page."""

    def structure_outline(self, text: str, *, params: dict) -> dict: ...

    def plan_pages(self, outline: dict, *, params: dict) -> list[dict]: ...

    def describe_page(self, page: dict, *, deck_title: str, params: dict) -> str: ...


class ImageProvider(Provider, Protocol):
    known_models: tuple[str, ...]  # image models a batch may choose besides image_model
    wants_reference_urls: bool  # fetches the reference images from signed links (kie)

    def generate(self, request: ImageRequest) -> ImageResult: ...

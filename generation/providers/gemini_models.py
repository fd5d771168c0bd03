"""The one table of Gemini models we know: what each image model accepts and costs, and which
model ids Google has shut down, with the replacement to name.

Sources (read 2026-12-01):
- Deprecations: https://ai.google.dev/gemini-api/docs/deprecations (shutdown dates and
  recommended replacements; the dates are the earliest shutdown dates Google announces).
- Image generation: https://ai.google.dev/gemini-api/docs/image-generation (imageConfig:
  aspectRatio, imageSize; reference images) and the model pages under
  https://ai.google.dev/gemini-api/docs/models (e.g. gemini-3.1-flash-lite-image: 1K only).
- Prices: https://ai.google.dev/gemini-api/docs/pricing where Google publishes a per-image
  figure ("official"); otherwise resellers' figures quoting Google ("estimate").
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

# Output sizes in the API's spelling, smallest first ("512" is the 512 px tier).
SIZES = ("512", "1K", "2K", "4K")
TEN_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
# The newer models add very tall and very wide frames.
FOURTEEN_RATIOS = (*TEN_RATIOS, "1:4", "4:1", "1:8", "8:1")
DEPRECATIONS_PAGE = "https://ai.google.dev/gemini-api/docs/deprecations"


@dataclass(frozen=True)
class ImageModel:
    id: str
    name: str
    sizes: tuple[str, ...]  # imageSize values it accepts; () = no imageSize field (1K only)
    aspect_ratios: tuple[str, ...]
    max_references: int
    prices: dict[str, float] = field(default_factory=dict)  # image_<size>, input_image (USD)
    price_source: str = "official"  # or "estimate": a third-party figure
    shutdown: date | None = None  # Google's announced shutdown date
    replacement: str = ""

    def size_for(self, wanted: str) -> str | None:
        """The imageSize to send for `wanted`: itself when accepted, else the largest accepted
        size below it, else the smallest accepted; None when the model has no imageSize."""
        if not self.sizes:
            return None
        if wanted in self.sizes:
            return wanted
        rank = SIZES.index(wanted) if wanted in SIZES else SIZES.index("1K")
        below = [size for size in self.sizes if SIZES.index(size) < rank]
        return below[-1] if below else self.sizes[0]


@dataclass(frozen=True)
class RetiredModel:
    id: str
    shutdown: date
    replacement: str


IMAGE_MODELS: dict[str, ImageModel] = {
    model.id: model
    for model in (
        ImageModel(
            id="gemini-3-pro-image",
            name="Nano Banana Pro",
            sizes=("1K", "2K", "4K"),
            aspect_ratios=TEN_RATIOS,
            max_references=14,
            prices={"image_1K": 0.134, "image_2K": 0.134, "image_4K": 0.24, "input_image": 0.0011},
        ),
        ImageModel(
            id="gemini-3.1-flash-image",
            name="Nano Banana 2",
            sizes=SIZES,
            aspect_ratios=FOURTEEN_RATIOS,
            max_references=14,
            prices={"image_512": 0.045, "image_1K": 0.067, "image_2K": 0.101, "image_4K": 0.151},
            price_source="estimate",
        ),
        ImageModel(
            id="gemini-3.1-flash-lite-image",
            name="Nano Banana 2 Lite",
            sizes=("1K",),
            aspect_ratios=FOURTEEN_RATIOS,
            max_references=3,  # not stated; the older 1K model's limit, to be safe
            prices={"image_1K": 0.0336},
            price_source="estimate",
        ),
        ImageModel(
            id="gemini-nano-banana-2.1",
            name="Nano Banana 2.1",
            sizes=("1K", "2K", "4K"),  # the 512 tier is refused by this model
            aspect_ratios=FOURTEEN_RATIOS,
            max_references=14,
            # no published per-image price: Nano Banana 2's, until Google lists one
            prices={"image_1K": 0.067, "image_2K": 0.101, "image_4K": 0.151},
            price_source="estimate",
        ),
        ImageModel(
            id="gemini-2.5-flash-image",
            name="Nano Banana",
            sizes=(),  # 1K only: the request carries no imageSize
            aspect_ratios=TEN_RATIOS,
            max_references=3,
            prices={"image_1K": 0.039},
            shutdown=date(2026, 10, 2),
            replacement="gemini-3.1-flash-image",
        ),
    )
}

# Text models for the planning steps, with Google's per-million-token prices.
TEXT_MODELS: dict[str, dict[str, float]] = {
    "gemini-3.8-flash": {"input_mtok": 0.75, "output_mtok": 3.75},  # GA 2026-09-02
    "gemini-3.7-flash": {},
    "gemini-3.6-flash": {},
    "gemini-3.5-flash": {},
    "gemini-3.5-flash-lite": {},
    "gemini-3.1-flash-lite": {},
}
DEFAULT_IMAGE_MODEL = "gemini-3-pro-image"
DEFAULT_TEXT_MODEL = "gemini-3.8-flash"

RETIRED: dict[str, RetiredModel] = {
    model.id: model
    for model in (
        RetiredModel("gemini-3-pro-image-preview", date(2026, 6, 25), "gemini-3-pro-image"),
        RetiredModel("gemini-3.1-flash-image-preview", date(2026, 6, 25), "gemini-3.1-flash-image"),
        RetiredModel("gemini-2.5-flash-image-preview", date(2026, 1, 15), "gemini-3.1-flash-image"),
        RetiredModel("gemini-2.5-flash", date(2026, 6, 17), DEFAULT_TEXT_MODEL),
        RetiredModel("gemini-2.0-flash", date(2026, 3, 31), DEFAULT_TEXT_MODEL),
        RetiredModel("gemini-3.1-flash-lite-preview", date(2026, 5, 25), "gemini-3.1-flash-lite"),
        *(
            RetiredModel(model.id, model.shutdown, model.replacement)
            for model in IMAGE_MODELS.values()
            if model.shutdown
        ),
    )
}


def _retired_problem(model: str, today: date) -> str:
    retired = RETIRED.get(model)
    if retired is None or retired.shutdown > today:
        return ""
    return (
        f"model '{model}' was shut down by Google on {retired.shutdown.isoformat()} "
        f"(see {DEPRECATIONS_PAGE}); use '{retired.replacement}' instead"
    )


def _unknown_problem(model: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(model, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"model '{model}' is not a known Gemini {what} model ({hint}known: {', '.join(known)})"


def image_model_problem(model: str, *, today: date) -> str:
    """Why `model` cannot draw today (shut down, or not one we know), naming what to use
    instead; "" when it can."""
    retired = _retired_problem(model, today)
    if retired:
        return retired
    if model not in IMAGE_MODELS:
        return _unknown_problem(model, usable_image_models(today=today), "image")
    return ""


def text_model_problem(model: str, *, today: date) -> str:
    """Why `model` cannot do the planning steps today, or ""."""
    retired = _retired_problem(model, today)
    if retired:
        return retired
    if model not in TEXT_MODELS:
        return _unknown_problem(model, list(TEXT_MODELS), "text")
    return ""


def usable_image_models(*, today: date) -> list[str]:
    return [m for m in IMAGE_MODELS if not _retired_problem(m, today)]


def image_prices() -> dict[str, dict[str, float]]:
    """Per-image prices of the known image models, for the price table."""
    return {model.id: dict(model.prices) for model in IMAGE_MODELS.values()}


def text_prices() -> dict[str, dict[str, float]]:
    return {model: dict(prices) for model, prices in TEXT_MODELS.items() if prices}

"""Estimated price of a provider call, from a configurable table (PRICE_TABLE_JSON).

Defaults follow public list prices: Nano Banana Pro (gemini-3-pro-image-preview) about
$0.134 per 1K/2K image and $0.24 per 4K image plus $0.0011 per input image; Gemini 2.5 Flash
Image about $0.039 per image. Text models are priced per million tokens. Unknown models and the
local provider cost nothing.
"""

from django.conf import settings

DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "gemini-3-pro-image-preview": {
        "image_1K": 0.134,
        "image_2K": 0.134,
        "image_4K": 0.24,
        "input_image": 0.0011,
    },
    "gemini-2.5-flash-image": {
        "image_1K": 0.039,
        "image_2K": 0.039,
        "image_4K": 0.039,
        "input_image": 0.0,
    },
    "gemini-2.5-flash": {"input_mtok": 0.30, "output_mtok": 2.50},
    # kie resells Nano Banana Pro; its own price list is not built in, so estimate with Google's
    # (an overestimate, safe for budgets); PRICE_TABLE_JSON replaces it.
    "nano-banana-pro": {
        "image_1K": 0.134,
        "image_2K": 0.134,
        "image_4K": 0.24,
        "input_image": 0.0011,
    },
}


def price_table() -> dict[str, dict[str, float]]:
    return {**DEFAULT_PRICES, **settings.NANODECK["PRICE_TABLE"]}


def image_cost(*, model: str, image_size: str, input_images: int) -> float:
    prices = price_table().get(model, {})
    return round(
        prices.get(f"image_{image_size}", 0.0) + input_images * prices.get("input_image", 0.0), 6
    )


def text_cost(*, model: str, input_tokens: int, output_tokens: int) -> float:
    prices = price_table().get(model, {})
    cost = input_tokens * prices.get("input_mtok", 0.0) + output_tokens * prices.get(
        "output_mtok", 0.0
    )
    return round(cost / 1_000_000, 6)

"""Estimated price of a provider call, from a configurable table (PRICE_TABLE_JSON).

The Gemini models' prices come from their one table (generation/providers/gemini_models.py,
per image size, each marked official or third-party estimate): Nano Banana Pro
(gemini-3-pro-image) $0.134 per 1K/2K image and $0.24 per 4K image plus $0.0011 per input
image. Text models are priced per million tokens. Unknown models and the local provider cost
nothing.
"""

from django.conf import settings

from generation.providers.gemini_models import image_prices, text_prices

DEFAULT_PRICES: dict[str, dict[str, float]] = {
    **image_prices(),
    **text_prices(),
    # kie resells Nano Banana Pro; its own price list is not built in, so estimate with Google's
    # (an overestimate, safe for budgets); PRICE_TABLE_JSON replaces it.
    "nano-banana-pro": image_prices()["gemini-3-pro-image"],
    # Its edit model (refine) draws one size whatever is asked; estimated at Nano Banana's price.
    "google/nano-banana-edit": dict.fromkeys(
        ("image_1K", "image_2K", "image_4K"), image_prices()["gemini-2.5-flash-image"]["image_1K"]
    ),
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

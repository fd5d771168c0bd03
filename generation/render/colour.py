"""Colours: parsing and mixing, and the text colour that reads on the pixels under a box.

The contrast rules themselves (luminance, AA minimums, large text) are `generation.wcag`'s.
"""

from __future__ import annotations

import bisect
import functools
import itertools

from PIL import Image, ImageColor, ImageDraw

from generation.render.geometry import Box, grown
from generation.slides import px_per_pt
from generation.wcag import contrast_ratio as wcag_contrast
from generation.wcag import required_contrast as wcag_required_contrast

BLACK, WHITE = "#000000", "#ffffff"
_RING = (2, 8)  # the ring 2 to 8 pixels around a text box is part of its background


@functools.lru_cache(maxsize=256)
def to_rgb(colour: str) -> tuple[int, int, int]:
    red, green, blue = ImageColor.getrgb(colour)[:3]
    return red, green, blue


def to_hex(rgb: tuple[int, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(round(channel) for channel in rgb[:3]))


def mix(first: str, second: str, amount: float) -> str:
    """`amount` of `second` blended into `first`."""
    pairs = zip(to_rgb(first), to_rgb(second), strict=True)
    return to_hex(tuple(a + (b - a) * amount for a, b in pairs))


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio between two colours (1 to 21)."""
    return wcag_contrast(to_rgb(first), to_rgb(second))


def required_contrast(font_px: int, bold: bool, size: tuple[int, int]) -> float:
    """The WCAG AA contrast a text of `font_px` pixels needs on a slide of `size`."""
    return wcag_required_contrast(font_px / px_per_pt(*size), bold=bold)


def readable(preferred: str, backgrounds: list[str], minimum: float, mode: str) -> str:
    """`preferred`, shaded towards black or white just enough to reach `minimum` contrast."""

    def worst(colour: str) -> float:
        return min(contrast_ratio(colour, background) for background in backgrounds)

    extreme = max((BLACK, WHITE), key=worst)
    if mode == "max":
        return extreme
    for step in range(11):
        candidate = mix(preferred, extreme, step / 10)
        if worst(candidate) >= minimum:
            return candidate
    return extreme


def _median_colour(histogram: list[int]) -> str:
    """The per-channel median colour of an RGB histogram."""
    channels = (histogram[start : start + 256] for start in (0, 256, 512))
    medians = []
    for counts in channels:
        cumulative = list(itertools.accumulate(counts))
        medians.append(bisect.bisect_left(cumulative, cumulative[-1] / 2))
    return to_hex(tuple(medians))


def backgrounds_under(image: Image.Image, box: Box) -> list[str]:
    """Median colours under a text box and in the ring of pixels just around it."""
    inside = grown(box, 0, image.size)
    outer = grown(box, _RING[1], image.size)
    colours = []
    if inside[2] > inside[0] and inside[3] > inside[1]:
        colours.append(_median_colour(image.crop(inside).histogram()))
    if outer[2] > outer[0] and outer[3] > outer[1]:
        ring = Image.new("L", (outer[2] - outer[0], outer[3] - outer[1]), 255)
        x0, y0, x1, y1 = grown(box, _RING[0], image.size)
        hole = (x0 - outer[0], y0 - outer[1], x1 - outer[0] - 1, y1 - outer[1] - 1)
        ImageDraw.Draw(ring).rectangle(hole, fill=0)
        histogram = image.crop(outer).histogram(ring)
        if sum(histogram):
            colours.append(_median_colour(histogram))
    return colours or [to_hex(image.getpixel((0, 0)))]

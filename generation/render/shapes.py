"""Filled shapes on a slide, one operation each.

Anti-aliased rounded rectangles, ellipses and arrows, vertical gradients, cover-cropped images,
and the tinted cards content layouts put their text on.
"""

from __future__ import annotations

import functools

from PIL import Image, ImageDraw

from generation.render.canvas import Slide
from generation.render.colour import mix, to_rgb
from generation.render.geometry import Box

_SUPERSAMPLE = 3


@functools.lru_cache(maxsize=64)
def _small_mask(shape: str, width: int, height: int, alpha: int) -> Image.Image:
    """An anti-aliased ellipse or arrow mask (drawn supersampled, then reduced)."""
    scale = _SUPERSAMPLE
    w, h = width * scale, height * scale
    big = Image.new("L", (w, h), 0)
    canvas = ImageDraw.Draw(big)
    if shape == "ellipse":
        canvas.ellipse((0, 0, w - 1, h - 1), fill=alpha)
    else:
        canvas.polygon([(0, 0), (w - 1, h // 2), (0, h - 1), (w // 3, h // 2)], fill=alpha)
    return big.reduce(scale)


@functools.lru_cache(maxsize=64)
def _corner(radius: int, alpha: int) -> Image.Image:
    """The anti-aliased top-left corner of a rounded rectangle."""
    return _small_mask("ellipse", 2 * radius, 2 * radius, alpha).crop((0, 0, radius, radius))


def _rounded_mask(width: int, height: int, radius: int, alpha: int) -> Image.Image:
    mask = Image.new("L", (width, height), alpha)
    radius = min(radius, width // 2, height // 2)
    if radius > 0:
        corner = _corner(radius, alpha)
        flip_x, flip_y = Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.FLIP_TOP_BOTTOM
        mask.paste(corner, (0, 0))
        mask.paste(corner.transpose(flip_x), (width - radius, 0))
        mask.paste(corner.transpose(flip_y), (0, height - radius))
        mask.paste(corner.transpose(Image.Transpose.ROTATE_180), (width - radius, height - radius))
    return mask


def fill(
    slide: Slide,
    box: Box,
    colour: str,
    *,
    shape: str = "round",
    radius: int = 0,
    alpha: float = 1.0,
) -> None:
    """Fill `box` with an anti-aliased rounded rectangle, ellipse or arrow."""
    x0, y0, x1, y1 = (round(value) for value in box)
    if x1 <= x0 or y1 <= y0 or not slide.draws:
        return
    opacity = round(alpha * 255)
    if shape == "round" and radius == 0 and opacity == 255:
        ImageDraw.Draw(slide.image).rectangle((x0, y0, x1 - 1, y1 - 1), fill=to_rgb(colour))
        return
    if shape == "round":
        mask = _rounded_mask(x1 - x0, y1 - y0, radius, opacity)
    else:
        mask = _small_mask(shape, x1 - x0, y1 - y0, opacity)
    slide.image.paste(to_rgb(colour), (x0, y0, x1, y1), mask)


@functools.lru_cache(maxsize=8)
def vertical_gradient(size: tuple[int, int], top: str, bottom: str) -> Image.Image:
    width, height = size
    column = Image.new("RGB", (1, height))
    steps = max(1, height - 1)
    column.putdata([to_rgb(mix(top, bottom, y / steps)) for y in range(height)])
    return column.resize((width, height), Image.Resampling.NEAREST)


def cover_crop(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` scaled to cover `size` and centre-cropped (like CSS object-fit: cover)."""
    source = image if image.mode == "RGB" else image.convert("RGB")
    width, height = size
    scale = max(width / source.width, height / source.height)
    crop_w, crop_h = width / scale, height / scale
    left, top = (source.width - crop_w) / 2, (source.height - crop_h) / 2
    box = (left, top, left + crop_w, top + crop_h)
    return source.resize(size, Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)


def tint(slide: Slide, amount: float = 0.07) -> str:
    return mix(slide.theme.background, slide.theme.primary, amount)


def draw_card(slide: Slide, box: Box, bar: str | None = None) -> int:
    """A tinted rounded card, optionally with a short accent bar; returns the content top."""
    pad = slide.unit(0.016)
    fill(slide, box, tint(slide), radius=slide.unit(0.01))
    if bar is None:
        return box[1] + pad
    bar_h = max(3, slide.vunit(0.007))
    bar_box = (box[0] + pad, box[1] + pad, box[0] + pad + slide.unit(0.035), box[1] + pad + bar_h)
    fill(slide, bar_box, bar, radius=bar_h // 2)
    return bar_box[3] + slide.vunit(0.018)


def card_extra(slide: Slide, bar: bool) -> int:
    """Card height beyond its text: padding, plus the accent bar when there is one."""
    pad = slide.unit(0.016)
    return 2 * pad + (max(3, slide.vunit(0.007)) + slide.vunit(0.018) if bar else 0)

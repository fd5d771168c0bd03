"""The frame every page is drawn in: backgrounds, the top band, and a content page's title."""

from __future__ import annotations

import numpy as np

from generation.render.canvas import Slide
from generation.render.colour import BLACK, mix
from generation.render.geometry import Box, box_height
from generation.render.shapes import cover_crop, fill, tint, vertical_gradient
from generation.render.text import Block, layout


def _background(slide: Slide) -> None:
    if not slide.draws:
        return
    theme = slide.theme
    gradient = vertical_gradient(slide.image.size, theme.background, tint(slide, 0.06))
    slide.image.paste(gradient, (0, 0))


def _band(slide: Slide) -> None:
    band_h = max(4, slide.vunit(0.028))
    reference = slide.theme.reference_image
    if reference is not None and slide.draws:
        slide.image.paste(cover_crop(reference, (slide.w, band_h)), (0, 0))
    else:
        fill(slide, (0, 0, slide.w, band_h), slide.theme.primary)
    fill(slide, (0, 0, slide.unit(0.14), band_h), slide.theme.accent)


def content_area(slide: Slide, *, with_title: bool = True) -> Box:
    """Draws the background, band and title; returns the area left for the body."""
    _background(slide)
    _band(slide)
    x0, y0, x1, y1 = slide.safe
    if not with_title or not slide.title:
        return slide.safe

    def attempt(factor: float) -> tuple[Block, bool]:
        part = slide.part("title", slide.title, factor, slide.theme.primary)
        block = layout(part, x0, y0, x1 - x0)
        return block, box_height(block.box) <= slide.vunit(0.19)

    title = slide.fit(attempt)
    slide.blocks.append(title)
    bar_top = title.bottom + slide.vunit(0.022)
    bar_h = max(3, slide.vunit(0.007))
    fill(
        slide,
        (x0, bar_top, x0 + slide.unit(0.05), bar_top + bar_h),
        slide.theme.accent,
        radius=bar_h // 2,
    )
    return x0, bar_top + bar_h + slide.vunit(0.045), x1, y1


def image_background(slide: Slide) -> None:
    if not slide.draws:
        return
    reference = slide.theme.reference_image
    if reference is not None:
        slide.image.paste(cover_crop(reference, slide.image.size), (0, 0))
        return
    primary = slide.theme.primary
    gradient = vertical_gradient(slide.image.size, primary, mix(primary, BLACK, 0.35))
    slide.image.paste(gradient, (0, 0))


def clear_half_width(slide: Slide, centre: int, rows: tuple[int, int], limit: int) -> int:
    """How far text centred on `centre` may reach to either side (at most `limit`) between
    `rows` without covering anything the template's reference image draws there: the
    distance to the nearest column holding more than a trace of colour other than the band's
    own background (its median colour). Text kept inside never sits on a decoration."""
    top, bottom = rows
    band = np.asarray(slide.image.convert("RGB"), dtype=np.int16)[top:bottom]
    if band.size == 0:
        return limit
    ground = np.median(band.reshape(-1, 3), axis=0)
    differs = np.abs(band - ground).max(axis=2) > _DECORATION_CONTRAST
    busy = differs.sum(axis=0) > max(2, (bottom - top) // 100)
    for reach in range(limit + 1):
        left, right = centre - reach, centre + reach
        if (left >= 0 and busy[left]) or (right < slide.w and busy[right]):
            return reach
    return limit


_DECORATION_CONTRAST = 28  # per channel, 0-255: JPEG noise and gradients stay below it

"""The frame every page is drawn in: backgrounds, the top band, and a content page's title."""

from __future__ import annotations

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

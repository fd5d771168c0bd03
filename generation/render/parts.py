"""Items as text: an item's heading, text and children as parts, list markers and child dots."""

from __future__ import annotations

from dataclasses import replace

from generation.render.canvas import Item, Slide
from generation.render.geometry import Box, box_width, centred
from generation.render.shapes import fill
from generation.render.text import Block, Part, layout


def item_parts(
    slide: Slide, item: Item, factor: float, align: str = "left", space: float = 0.0
) -> list[Part]:
    """Heading, text and children of one item; `space` (em) goes above the first part."""
    theme = slide.theme
    # An emphasised item: its heading in the accent colour, its text in the title colour.
    heading, body = (theme.accent, theme.primary) if item.emphasis else (theme.primary, theme.text)
    parts = []
    if item.title:
        parts.append(slide.part("heading", item.title, factor, heading, align=align))
    if item.text:
        parts.append(slide.part("body", item.text, factor, body, align=align, space=0.3))
    indent = 0 if align == "center" else round(slide.px("child", factor) * 1.1)
    for child in item.children:
        parts.append(
            slide.part("child", child, factor, theme.text, align=align, space=0.25, indent=indent)
        )
    if parts:
        parts[0] = replace(parts[0], space_before=round(space * parts[0].px))
    return parts


def items_parts(slide: Slide, items: list[Item], factor: float) -> list[Part]:
    parts: list[Part] = []
    for index, item in enumerate(items):
        parts.extend(item_parts(slide, item, factor, space=0.8 if index else 0.0))
    return parts


def child_dots(slide: Slide, blocks: list[Block]) -> None:
    for block in blocks:
        if block.part.indent and block.lines:
            size = max(4, round(block.part.px * 0.22))
            cx = block.xs[0] - round(block.part.px * 0.6)
            cy = block.baselines[0] - round(block.part.px * 0.37)
            box = (cx - size // 2, cy - size // 2, cx - size // 2 + size, cy - size // 2 + size)
            fill(slide, box, slide.theme.muted, shape="ellipse")


def marker_size(slide: Slide, factor: float, numbered: bool) -> int:
    """Diameter of a list marker: a number circle, or a small dot."""
    if numbered:
        return round(slide.px("number", factor) * 1.75)
    return max(6, round(slide.px("heading", factor) * 0.3))


def number_block(slide: Slide, index: int, factor: float, box: Box) -> Block:
    part = slide.part("number", str(index + 1), factor, slide.theme.background, align="center")
    return centred(layout(part, 0, 0, box_width(box)), box)

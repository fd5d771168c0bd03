"""Two columns: two items compared under coloured headers, or the items split into two cards."""

from __future__ import annotations

import math

from generation.render.canvas import Item, Slide
from generation.render.frame import content_area
from generation.render.geometry import Box, box_height, centred, group_height, moved, offset
from generation.render.parts import child_dots, items_parts
from generation.render.shapes import card_extra, draw_card, fill, tint
from generation.render.text import Block, layout, stack


def render(slide: Slide) -> None:
    ax, ay, ax1, ay1 = content_area(slide)
    if not slide.items:
        return
    columns = _comparison_columns(slide.items)
    gap, pad, head_pad = slide.unit(0.03), slide.unit(0.016), slide.vunit(0.022)
    col_w = ((ax1 - ax) - gap) // 2
    has_heads = any(title for title, _ in columns)

    def attempt(factor: float) -> tuple[tuple[list[Block], int, list[list[Block]], int], bool]:
        heads = [
            layout(
                slide.part("heading", title, factor, slide.theme.background, align="center"),
                0,
                0,
                col_w - 2 * pad,
            )
            for title, _ in columns
        ]
        head_h = max(box_height(head.box) for head in heads) + 2 * head_pad if has_heads else 0
        bodies = [
            stack(items_parts(slide, column, factor), 0, 0, col_w - 2 * pad)
            for _, column in columns
        ]
        body_h = max(group_height(body) for body in bodies)
        need = head_h + body_h + card_extra(slide, bar=not has_heads)
        return (heads, head_h, bodies, need), need <= ay1 - ay

    heads, head_h, bodies, need = slide.fit(attempt)
    card_h = max(need, round((ay1 - ay) * 0.7))
    top = ay + offset((ay1 - ay) - card_h)
    colours = (slide.theme.primary, slide.theme.accent)
    for index, (head, body) in enumerate(zip(heads, bodies, strict=True)):
        x = ax + index * (col_w + gap)
        card = (x, top, x + col_w, top + card_h)
        if has_heads:
            content_top = _headed_card(slide, card, head_h, colours[index]) + pad
            if head.lines:
                slide.blocks.append(centred(head, (x, top, x + col_w, top + head_h)))
        else:
            content_top = draw_card(slide, card, colours[index])
        placed = moved(body, x + pad, content_top)
        child_dots(slide, placed)
        slide.blocks.extend(placed)


def _comparison_columns(items: list[Item]) -> list[tuple[str, list[Item]]]:
    if len(items) == 2:
        return [
            (item.title, [Item(text=item.text, children=item.children, emphasis=item.emphasis)])
            for item in items
        ]
    half = math.ceil(len(items) / 2)
    return [("", items[:half]), ("", items[half:])]


def _headed_card(slide: Slide, box: Box, head_h: int, colour: str) -> int:
    """A card whose top `head_h` pixels are a coloured header; returns the header's bottom."""
    x0, y0, x1, _y1 = box
    radius = slide.unit(0.01)
    fill(slide, box, tint(slide), radius=radius)
    fill(slide, (x0, y0, x1, y0 + head_h), colour, radius=radius)
    fill(slide, (x0, y0 + head_h - radius, x1, y0 + head_h), colour)
    return y0 + head_h

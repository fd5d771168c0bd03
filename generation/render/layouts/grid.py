"""Grid: one card per item, in up to three rows, a shorter last row centred."""

from __future__ import annotations

import math

from generation.render.canvas import Slide
from generation.render.frame import content_area
from generation.render.geometry import group_height, moved, offset
from generation.render.parts import child_dots, item_parts
from generation.render.shapes import card_extra, draw_card
from generation.render.text import Block, stack


def render(slide: Slide) -> None:
    ax, ay, ax1, ay1 = content_area(slide)
    items = slide.items
    if not items:
        return
    rows, cols = _grid_shape(len(items))
    gap, pad = slide.unit(0.02), slide.unit(0.016)
    cell_w = ((ax1 - ax) - gap * (cols - 1)) // cols
    cell_cap = ((ay1 - ay) - gap * (rows - 1)) // rows

    def attempt(factor: float) -> tuple[tuple[list[list[Block]], int], bool]:
        groups = [stack(item_parts(slide, item, factor), 0, 0, cell_w - 2 * pad) for item in items]
        need = max(group_height(group) for group in groups) + card_extra(slide, bar=True)
        return (groups, need), need <= cell_cap

    groups, need = slide.fit(attempt)
    card_h = max(need, round(cell_cap * (0.6 if rows == 1 else 0.8)))
    top = ay + offset((ay1 - ay) - rows * card_h - gap * (rows - 1))
    for index, group in enumerate(groups):
        row, col = divmod(index, cols)
        in_row = min(cols, len(items) - row * cols)
        x = ax + (cols - in_row) * (cell_w + gap) // 2 + col * (cell_w + gap)
        y = top + row * (card_h + gap)
        content_top = draw_card(slide, (x, y, x + cell_w, y + card_h), slide.theme.accent)
        placed = moved(group, x + pad, content_top)
        child_dots(slide, placed)
        slide.blocks.extend(placed)


def _grid_shape(count: int) -> tuple[int, int]:
    rows = 1 if count <= 3 else 2 if count <= 8 else 3
    return rows, math.ceil(count / rows)

"""Bullets: the items down the page, each beside a dot.

Numbered, the same list is the `step_list` layout: a number in each marker, the markers joined
by a line.
"""

from __future__ import annotations

from generation.render.canvas import Slide
from generation.render.frame import content_area
from generation.render.geometry import group_height, moved, offset
from generation.render.parts import child_dots, item_parts, marker_size, number_block
from generation.render.shapes import fill, tint
from generation.render.text import Block, stack


def render(slide: Slide) -> None:
    _list(slide, numbered=False)


def render_numbered(slide: Slide) -> None:
    _list(slide, numbered=True)


def _list(slide: Slide, *, numbered: bool) -> None:
    ax, ay, ax1, ay1 = content_area(slide)
    if not slide.items:
        return

    def attempt(factor: float) -> tuple[tuple[float, int, list[list[Block]]], bool]:
        marker = marker_size(slide, factor, numbered)
        indent = marker + (slide.unit(0.016) if numbered else round(marker * 1.6))
        groups = [
            stack(item_parts(slide, item, factor), ax + indent, 0, ax1 - ax - indent)
            for item in slide.items
        ]
        gap = round(slide.px("body", factor) * 0.5)
        total = sum(_row_height(group, marker) for group in groups) + gap * (len(groups) - 1)
        return (factor, marker, groups), total <= ay1 - ay

    factor, marker, groups = slide.fit(attempt)
    rows = [_row_height(group, marker) for group in groups]
    body_px = slide.px("body", factor)
    free = (ay1 - ay) - sum(rows)
    spaces = max(1, len(rows) - 1)
    gap = max(round(body_px * 0.5), min(round(body_px * 1.3), free // spaces))
    y = ay + offset(free - gap * (len(rows) - 1), 0.3)
    placed, centres = [], []
    for group, row in zip(groups, rows, strict=True):
        text_dy, middle = _row_align(group, marker)
        placed.append(moved(group, 0, y + text_dy))
        centres.append(y + middle)
        y += row + gap
    numbers = _list_markers(slide, (ax, marker, factor), centres, numbered)
    for number, group in zip(numbers, placed, strict=True):
        child_dots(slide, group)
        slide.blocks.extend([number, *group] if number else group)


def _first_line_middle(blocks: list[Block]) -> int:
    first = blocks[0]
    return first.baselines[0] - round(first.part.px * 0.37)


def _row_align(group: list[Block], marker: int) -> tuple[int, int]:
    """(text offset, marker centre) in a row whose marker centres on the first text line."""
    line_middle = _first_line_middle(group)
    middle = max(marker // 2, line_middle)
    return middle - line_middle, middle


def _row_height(group: list[Block], marker: int) -> int:
    text_dy, middle = _row_align(group, marker)
    return max(text_dy + group_height(group), middle + marker - marker // 2)


def _list_markers(
    slide: Slide, spec: tuple[int, int, float], centres: list[int], numbered: bool
) -> list[Block | None]:
    """Draws the markers (and a connecting line for numbers); returns the number blocks."""
    x, marker, factor = spec
    theme = slide.theme
    if numbered and len(centres) > 1:
        line_w = max(2, slide.unit(0.002))
        cx = x + marker // 2 - line_w // 2
        fill(slide, (cx, centres[0], cx + line_w, centres[-1]), tint(slide, 0.25))
    numbers: list[Block | None] = []
    for index, centre in enumerate(centres):
        box = (x, centre - marker // 2, x + marker, centre - marker // 2 + marker)
        fill(slide, box, theme.accent, shape="ellipse")
        numbers.append(number_block(slide, index, factor, box) if numbered else None)
    return numbers

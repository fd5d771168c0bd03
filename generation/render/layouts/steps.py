"""Steps: two to four short steps side by side, numbered circles on a line above their cards."""

from __future__ import annotations

from generation.render.canvas import Slide
from generation.render.frame import content_area
from generation.render.geometry import group_height, moved, offset
from generation.render.parts import item_parts, marker_size, number_block
from generation.render.shapes import fill, tint
from generation.render.text import Block, stack


def render(slide: Slide) -> None:
    ax, ay, ax1, ay1 = content_area(slide)
    items = slide.items
    if not items:
        return
    gap, pad, lift = slide.unit(0.022), slide.unit(0.016), slide.vunit(0.04)
    col_w = ((ax1 - ax) - gap * (len(items) - 1)) // len(items)

    def attempt(factor: float) -> tuple[tuple[float, int, list[list[Block]], int], bool]:
        marker = marker_size(slide, factor, numbered=True)
        groups = [
            stack(item_parts(slide, item, factor, align="center"), 0, 0, col_w - 2 * pad)
            for item in items
        ]
        content = max(group_height(group) for group in groups) + 2 * pad
        return (factor, marker, groups, content), marker + lift + content <= ay1 - ay

    factor, marker, groups, content = slide.fit(attempt)
    card_h = max(content, min(ay1 - ay - marker - lift, slide.vunit(0.3)))
    top = ay + offset((ay1 - ay) - marker - lift - card_h)
    xs = [ax + index * (col_w + gap) for index in range(len(items))]
    line_h = max(3, slide.vunit(0.005))
    middle = top + marker // 2
    line = (
        xs[0] + col_w // 2,
        middle - line_h // 2,
        xs[-1] + col_w // 2,
        middle - line_h // 2 + line_h,
    )
    fill(slide, line, tint(slide, 0.3))
    for index, (x, group) in enumerate(zip(xs, groups, strict=True)):
        circle_x = x + (col_w - marker) // 2
        circle = (circle_x, top, circle_x + marker, top + marker)
        fill(slide, circle, slide.theme.accent, shape="ellipse")
        card_top = top + marker + lift
        fill(
            slide,
            (x, card_top, x + col_w, card_top + card_h),
            tint(slide),
            radius=slide.unit(0.01),
        )
        slide.blocks.append(number_block(slide, index, factor, circle))
        slide.blocks.extend(moved(group, x + pad, card_top + pad))

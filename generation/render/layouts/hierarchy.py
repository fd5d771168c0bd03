"""Hierarchy: a root box linked to its children, below it (up to four) or beside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from generation.render.canvas import Item, Slide
from generation.render.frame import content_area
from generation.render.geometry import Box, box_width, centre_group, group_height, moved, offset
from generation.render.parts import child_dots, item_parts
from generation.render.shapes import fill, tint
from generation.render.text import Block, Part, bounds, stack


def render(slide: Slide) -> None:
    items = slide.items
    if len(items) == 1:
        area = content_area(slide)
        root = items[0]
        kids = [Item(title=child) for child in root.children]

        def root_parts(factor: float) -> list[Part]:
            bare = Item(title=root.title, text=root.text, emphasis=root.emphasis)
            return _recoloured(item_parts(slide, bare, factor, align="center"), slide)

    else:
        area = content_area(slide, with_title=False)
        kids = items

        def root_parts(factor: float) -> list[Part]:
            colour = slide.theme.background
            return [slide.part("title", slide.title, factor, colour, align="center")]

    if len(kids) > 4:
        _tree_sideways(slide, area, root_parts, kids)
    else:
        _tree_down(slide, area, root_parts, kids)


def _recoloured(parts: list[Part], slide: Slide) -> list[Part]:
    """Parts recoloured for a primary-filled box."""
    return [replace(part, color=slide.theme.background) for part in parts]


def _root_box(slide: Slide, box: Box, blocks: list[Block]) -> None:
    fill(slide, box, slide.theme.primary, radius=slide.unit(0.01))
    if blocks:
        slide.blocks.extend(centre_group(blocks, box))


def _tree_down(
    slide: Slide, area: Box, root_parts: Callable[[float], list[Part]], kids: list[Item]
) -> None:
    ax, ay, ax1, ay1 = area
    gap, pad, link = slide.unit(0.02), slide.unit(0.016), slide.vunit(0.09)
    kid_w = ((ax1 - ax) - gap * (len(kids) - 1)) // max(1, len(kids))
    root_cap = ax1 - ax

    def attempt(factor: float) -> tuple[tuple[list[Block], list[list[Block]], int], bool]:
        root = stack(root_parts(factor), 0, 0, root_cap - 2 * pad)
        groups = [
            stack(item_parts(slide, kid, factor, align="center"), 0, 0, kid_w - 2 * pad)
            for kid in kids
        ]
        kid_h = max((group_height(group) for group in groups), default=0) + 2 * pad
        need = group_height(root) + 2 * pad + (link + kid_h if kids else 0)
        return (root, groups, kid_h), need <= ay1 - ay

    root, groups, kid_h = slide.fit(attempt)
    root_h = group_height(root) + 2 * pad
    root_w = min(root_cap, max(box_width(bounds(root)) if root else 0, (ax1 - ax) // 4) + 4 * pad)
    room = (ay1 - ay) - root_h - link  # a card never grows past the area (and off the slide)
    kid_h = max(kid_h, min(slide.vunit(0.2), room)) if kids else 0
    top = ay + offset((ay1 - ay) - root_h - (link + kid_h if kids else 0), 0.35)
    centre = (ax + ax1) // 2
    kid_xs = [ax + index * (kid_w + gap) for index in range(len(kids))]
    kid_top = top + root_h + link
    _tree_down_links(slide, centre, (top + root_h, kid_top), [x + kid_w // 2 for x in kid_xs])
    _root_box(slide, (centre - root_w // 2, top, centre - root_w // 2 + root_w, top + root_h), root)
    for x, group in zip(kid_xs, groups, strict=True):
        fill(
            slide,
            (x, kid_top, x + kid_w, kid_top + kid_h),
            tint(slide, 0.1),
            radius=slide.unit(0.01),
        )
        slide.blocks.extend(moved(group, x + pad, kid_top + pad))


def _tree_down_links(
    slide: Slide, centre: int, span: tuple[int, int], kid_centres: list[int]
) -> None:
    if not kid_centres:
        return
    root_bottom, kid_top = span
    line = max(2, slide.unit(0.0025))
    bus = (root_bottom + kid_top) // 2
    colour = tint(slide, 0.35)
    fill(slide, (centre - line // 2, root_bottom, centre - line // 2 + line, bus + line), colour)
    left, right = min(kid_centres[0], centre), max(kid_centres[-1], centre)
    fill(slide, (left - line // 2, bus, right - line // 2 + line, bus + line), colour)
    for x in kid_centres:
        fill(slide, (x - line // 2, bus, x - line // 2 + line, kid_top), colour)


def _tree_sideways(
    slide: Slide, area: Box, root_parts: Callable[[float], list[Part]], kids: list[Item]
) -> None:
    ax, ay, ax1, ay1 = area
    pad, link, gap = slide.unit(0.016), slide.unit(0.06), slide.vunit(0.02)
    root_w = round((ax1 - ax) * 0.3)
    kid_x = ax + root_w + link
    kid_w = ax1 - kid_x

    def attempt(factor: float) -> tuple[tuple[list[Block], list[list[Block]]], bool]:
        root = stack(root_parts(factor), 0, 0, root_w - 2 * pad)
        groups = [stack(item_parts(slide, kid, factor), 0, 0, kid_w - 2 * pad) for kid in kids]
        kids_h = sum(group_height(group) + pad for group in groups) + gap * (len(groups) - 1)
        fits = max(kids_h, group_height(root) + 2 * pad) <= ay1 - ay
        return (root, groups), fits

    root, groups = slide.fit(attempt)
    heights = [group_height(group) + pad for group in groups]
    free = (ay1 - ay) - sum(heights)
    spacing = max(gap, min(3 * gap, free // max(1, len(groups) - 1)))
    y = ay + offset(free - spacing * (len(groups) - 1), 0.5)
    middles = []
    for group, height in zip(groups, heights, strict=True):
        middles.append(y + height // 2)
        fill(slide, (kid_x, y, ax1, y + height), tint(slide, 0.1), radius=slide.unit(0.008))
        placed = moved(group, kid_x + pad, y + pad // 2)
        child_dots(slide, placed)
        slide.blocks.extend(placed)
        y += height + spacing
    root_h = group_height(root) + 2 * pad
    root_top = (middles[0] + middles[-1]) // 2 - root_h // 2
    _tree_side_links(slide, (ax + root_w, kid_x), (root_top + root_h // 2, middles))
    _root_box(slide, (ax, root_top, ax + root_w, root_top + root_h), root)


def _tree_side_links(slide: Slide, span: tuple[int, int], rows: tuple[int, list[int]]) -> None:
    root_right, kid_x = span
    root_middle, middles = rows
    line = max(2, slide.unit(0.0025))
    spine = (root_right + kid_x) // 2
    colour = tint(slide, 0.35)
    fill(
        slide, (root_right, root_middle - line // 2, spine, root_middle - line // 2 + line), colour
    )
    top, bottom = min(middles[0], root_middle), max(middles[-1], root_middle)
    fill(slide, (spine - line // 2, top, spine - line // 2 + line, bottom + line), colour)
    for middle in middles:
        fill(slide, (spine, middle - line // 2, kid_x, middle - line // 2 + line), colour)

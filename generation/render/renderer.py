"""Local slide renderer: a page plan and a theme in, a slide image and its text boxes out.

Every layout first fits its text (shrinking all sizes together until everything fits or
the point minimums are reached), then draws its shapes, then picks each text colour by
contrast against the pixels the text sits on, then draws the text. The text boxes do not
depend on `draw_text`, so an editable export can place native text exactly where the
image would have had it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

from PIL import Image, ImageDraw

from generation.render.canvas import LABELS, Item, Options, Slide, plan_items
from generation.render.colour import backgrounds_under, mix, readable, required_contrast, to_rgb
from generation.render.frame import content_area
from generation.render.geometry import (
    Box,
    box_height,
    box_width,
    centre_group,
    centred,
    group_height,
    moved,
    offset,
)
from generation.render.pages import PAGE_KINDS
from generation.render.parts import child_dots, item_parts, items_parts, marker_size, number_block
from generation.render.shapes import card_extra, draw_card, fill, tint
from generation.render.text import Block, Part, bounds, draw, is_cjk, layout, stack
from generation.slides import RenderResult, TextBox, Theme

CONTENT_LAYOUTS = (
    "bullets",
    "steps",
    "step_list",
    "grid",
    "two_column",
    "hierarchy",
    "problem_solution",
)


_AUTO_LAYOUTS = {
    "classification": "grid",
    "hierarchical": "hierarchy",
    "comparison": "two_column",
    "problem_solution": "problem_solution",
}


_SHORT_STEP_UNITS = 110  # max width units (CJK = 2, Latin = 1) of a horizontal step


def _options(params: dict | None) -> Options:
    params = params or {}
    font_scale = float(1.0 if params.get("font_scale") is None else params["font_scale"])
    layout_name = params.get("layout") or "auto"
    scrim = params.get("scrim")
    max_items = params.get("max_items")
    contrast = params.get("text_contrast") or "auto"
    if font_scale <= 0:
        raise ValueError("font_scale must be positive")
    if layout_name not in ("auto", *CONTENT_LAYOUTS):
        raise ValueError(f"layout must be auto or one of {', '.join(CONTENT_LAYOUTS)}")
    if contrast not in ("auto", "max"):
        raise ValueError("text_contrast must be auto or max")
    return Options(
        font_scale=font_scale,
        layout=layout_name,
        scrim=None if scrim is None else min(1.0, max(0.0, float(scrim))),
        max_items=None if max_items is None else max(0, int(max_items)),
        text_contrast=contrast,
    )


def _first_line_middle(blocks: list[Block]) -> int:
    first = blocks[0]
    return first.baselines[0] - round(first.part.px * 0.37)


def _content(slide: Slide) -> str:
    name = _content_layout(slide)
    _CONTENT_RENDERERS[name](slide)
    return name


def _content_layout(slide: Slide) -> str:
    if slide.options.layout != "auto":
        return slide.options.layout
    items = slide.items
    logic = (slide.plan.get("semanticFeatures") or {}).get("logicType", "")
    if logic == "sequential":
        return "steps" if _short_steps(items) else "step_list"
    if logic in ("classification", "comparison") and len(items) < 2:
        return "bullets"
    return _AUTO_LAYOUTS.get(logic, "bullets")


def _short_steps(items: list[Item]) -> bool:
    def units(item: Item) -> int:
        text = item.title + item.text + "".join(item.children)
        return sum(2 if is_cjk(char) else 1 for char in text)

    return 2 <= len(items) <= 4 and all(units(item) <= _SHORT_STEP_UNITS for item in items)


def _bullets(slide: Slide) -> None:
    _list(slide, numbered=False)


def _step_list(slide: Slide) -> None:
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


def _steps(slide: Slide) -> None:
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


def _grid_shape(count: int) -> tuple[int, int]:
    rows = 1 if count <= 3 else 2 if count <= 8 else 3
    return rows, math.ceil(count / rows)


def _grid(slide: Slide) -> None:
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


def _comparison_columns(items: list[Item]) -> list[tuple[str, list[Item]]]:
    if len(items) == 2:
        return [(item.title, [Item(text=item.text, children=item.children)]) for item in items]
    half = math.ceil(len(items) / 2)
    return [("", items[:half]), ("", items[half:])]


def _two_column(slide: Slide) -> None:
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


def _headed_card(slide: Slide, box: Box, head_h: int, colour: str) -> int:
    """A card whose top `head_h` pixels are a coloured header; returns the header's bottom."""
    x0, y0, x1, _y1 = box
    radius = slide.unit(0.01)
    fill(slide, box, tint(slide), radius=radius)
    fill(slide, (x0, y0, x1, y0 + head_h), colour, radius=radius)
    fill(slide, (x0, y0 + head_h - radius, x1, y0 + head_h), colour)
    return y0 + head_h


def _hierarchy(slide: Slide) -> None:
    items = slide.items
    if len(items) == 1:
        area = content_area(slide)
        root = items[0]
        kids = [Item(title=child) for child in root.children]

        def root_parts(factor: float) -> list[Part]:
            bare = Item(title=root.title, text=root.text)
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
    kid_h = max(kid_h, slide.vunit(0.2)) if kids else 0
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


def _problem_and_solutions(items: list[Item]) -> tuple[Item, list[Item]]:
    first = items[0]
    if len(items) > 1:
        return first, items[1:]
    if first.title:
        solution = Item(text=first.text, children=first.children)
        return Item(title=first.title), [solution] if solution.text or solution.children else []
    return first, []


def _problem_solution(slide: Slide) -> None:
    ax, ay, ax1, ay1 = content_area(slide)
    if not slide.items:
        return
    problem, solutions = _problem_and_solutions(slide.items)
    labels = LABELS[slide.language]
    pad, zone, gap = slide.unit(0.016), slide.unit(0.08), slide.vunit(0.025)
    left_w = round((ax1 - ax) * 0.4)
    right_x = ax + left_w + zone
    label_gap = slide.vunit(0.02)

    def attempt(factor: float) -> tuple[tuple[list[Block], list[Block], list[list[Block]]], bool]:
        theme = slide.theme
        names = [layout(slide.part("label", labels[0], factor, theme.accent), ax, 0, left_w)]
        if solutions:
            names.append(
                layout(
                    slide.part("label", labels[1], factor, theme.primary), right_x, 0, ax1 - right_x
                )
            )
        left = stack(item_parts(slide, problem, factor), 0, 0, left_w - 2 * pad)
        cards = [
            stack(item_parts(slide, item, factor), 0, 0, ax1 - right_x - 2 * pad)
            for item in solutions
        ]
        body = max(group_height(left), _stack_height(cards, pad, gap) - 2 * pad) + 2 * pad
        need = max(box_height(name.box) for name in names) + label_gap + body
        return (names, left, cards), need <= ay1 - ay

    names, left, cards = slide.fit(attempt)
    _draw_problem_solution(slide, (ax, ay, ax1, ay1), (left_w, right_x), (names, left, cards))


def _stack_height(groups: list[list[Block]], pad: int, gap: int) -> int:
    """Height of cards holding `groups`, stacked with `gap` between them."""
    return sum(group_height(group) + 2 * pad for group in groups) + gap * max(0, len(groups) - 1)


def _draw_problem_solution(
    slide: Slide,
    area: Box,
    columns: tuple[int, int],
    content: tuple[list[Block], list[Block], list[list[Block]]],
) -> None:
    ax, ay, ax1, ay1 = area
    left_w, right_x = columns
    names, left, cards = content
    pad, gap, label_gap = slide.unit(0.016), slide.vunit(0.025), slide.vunit(0.02)
    label_h = max(box_height(name.box) for name in names)
    body_h = max(group_height(left) + 2 * pad, _stack_height(cards, pad, gap))
    body_h = max(body_h, round((ay1 - ay - label_h - label_gap) * 0.6))
    top = ay + offset((ay1 - ay) - label_h - label_gap - body_h, 0.35)
    slide.blocks.extend(name.moved(0, top) for name in names)
    body_top = top + label_h + label_gap
    panel = (ax, body_top, ax + left_w, body_top + body_h)
    fill(
        slide,
        panel,
        mix(slide.theme.background, slide.theme.accent, 0.14),
        radius=slide.unit(0.01),
    )
    slide.blocks.extend(centre_group(left, panel))
    if not cards:
        return
    arrow_w = slide.unit(0.035)
    arrow_x = ax + left_w + (right_x - ax - left_w - arrow_w) // 2
    middle = body_top + body_h // 2
    fill(
        slide,
        (arrow_x, middle - arrow_w, arrow_x + arrow_w, middle + arrow_w),
        slide.theme.accent,
        shape="arrow",
    )
    extra = (body_h - _stack_height(cards, pad, gap)) // len(cards)
    y = body_top
    for group in cards:
        height = group_height(group) + 2 * pad + extra
        fill(slide, (right_x, y, ax1, y + height), tint(slide), radius=slide.unit(0.01))
        placed = moved(group, right_x + pad, y + pad + extra // 2)
        child_dots(slide, placed)
        slide.blocks.extend(placed)
        y += height + gap


_CONTENT_RENDERERS: dict[str, Callable[[Slide], None]] = {
    "bullets": _bullets,
    "steps": _steps,
    "step_list": _step_list,
    "grid": _grid,
    "two_column": _two_column,
    "hierarchy": _hierarchy,
    "problem_solution": _problem_solution,
}


def _text_box(block: Block) -> TextBox:
    x0, y0, x1, y1 = block.box
    part = block.part
    return TextBox(
        role=part.role,
        text=part.text,
        x=x0,
        y=y0,
        w=x1 - x0,
        h=y1 - y0,
        font_px=part.px,
        color=part.color,
        bold=part.bold,
        align=part.align,
        lines=block.lines,
    )


def _with_readable_colour(slide: Slide, block: Block) -> Block:
    backgrounds = backgrounds_under(slide.image, block.box)
    minimum = required_contrast(block.part.px, block.part.bold, slide.image.size)
    colour = readable(block.part.color, backgrounds, minimum, slide.options.text_contrast)
    return block.recoloured(colour)


def render_slide(
    plan: dict,
    theme: Theme,
    size: tuple[int, int],
    params: dict | None = None,
    *,
    draw_text: bool = True,
) -> RenderResult:
    """Render one page plan to an RGB image of exactly `size`, with the text boxes drawn.

    params: font_scale (float, 1.0), layout ("auto" or one of CONTENT_LAYOUTS, content
    pages only), scrim (0-1, panel behind text over images), max_items (int or None),
    text_contrast ("auto" or "max": pure black or white). With draw_text=False everything
    but the text is drawn; the boxes are the same either way.
    """
    options = _options(params)
    image = Image.new("RGB", (int(size[0]), int(size[1])), to_rgb(theme.background))
    slide = Slide(image, theme, plan, plan_items(plan, options.max_items), options)
    layout_name = PAGE_KINDS.get(plan.get("kind", ""), _content)(slide)
    blocks = [_with_readable_colour(slide, block) for block in slide.blocks if block.lines]
    if draw_text:
        canvas = ImageDraw.Draw(image)
        for block in blocks:
            draw(canvas, block)
    return RenderResult(
        image=image,
        boxes=[_text_box(block) for block in blocks],
        safe_box=slide.safe,
        layout=layout_name,
        overflow=slide.overflow,
        font_scale=options.font_scale,
    )

"""Problem and solution: the problem in a panel on the left, an arrow, the solutions in cards.

Only the outline's own text is drawn: the panel's colour and the arrow say which side is the
problem, not a "Problem" / "Solution" label the outline never had.
"""

from __future__ import annotations

from generation.render.canvas import Item, Slide
from generation.render.colour import mix
from generation.render.frame import content_area
from generation.render.geometry import Box, centre_group, group_height, moved, offset
from generation.render.parts import child_dots, item_parts
from generation.render.shapes import fill, tint
from generation.render.text import Block, stack


def render(slide: Slide) -> None:
    ax, ay, ax1, ay1 = content_area(slide)
    if not slide.items:
        return
    problem, solutions = _problem_and_solutions(slide.items)
    pad, zone, gap = slide.unit(0.016), slide.unit(0.08), slide.vunit(0.025)
    left_w = round((ax1 - ax) * 0.4)
    right_x = ax + left_w + zone

    def attempt(factor: float) -> tuple[tuple[list[Block], list[list[Block]]], bool]:
        left = stack(item_parts(slide, problem, factor), 0, 0, left_w - 2 * pad)
        cards = [
            stack(item_parts(slide, item, factor), 0, 0, ax1 - right_x - 2 * pad)
            for item in solutions
        ]
        body = max(group_height(left) + 2 * pad, _stack_height(cards, pad, gap))
        return (left, cards), body <= ay1 - ay

    left, cards = slide.fit(attempt)
    _draw_problem_solution(slide, (ax, ay, ax1, ay1), (left_w, right_x), (left, cards))


def _problem_and_solutions(items: list[Item]) -> tuple[Item, list[Item]]:
    first = items[0]
    if len(items) > 1:
        return first, items[1:]
    if first.title:
        solution = Item(text=first.text, children=first.children, emphasis=first.emphasis)
        return Item(title=first.title, emphasis=first.emphasis), [
            solution
        ] if solution.text or solution.children else []
    return first, []


def _stack_height(groups: list[list[Block]], pad: int, gap: int) -> int:
    """Height of cards holding `groups`, stacked with `gap` between them."""
    return sum(group_height(group) + 2 * pad for group in groups) + gap * max(0, len(groups) - 1)


def _draw_problem_solution(
    slide: Slide,
    area: Box,
    columns: tuple[int, int],
    content: tuple[list[Block], list[list[Block]]],
) -> None:
    ax, ay, ax1, ay1 = area
    left_w, right_x = columns
    left, cards = content
    pad, gap = slide.unit(0.016), slide.vunit(0.025)
    body_h = max(group_height(left) + 2 * pad, _stack_height(cards, pad, gap))
    body_h = max(body_h, round((ay1 - ay) * 0.6))
    body_top = ay + offset((ay1 - ay) - body_h, 0.35)
    panel = (ax, body_top, ax + left_w, body_top + body_h)
    fill(
        slide,
        panel,
        mix(slide.theme.background, slide.theme.accent, 0.14),
        radius=slide.unit(0.01),
    )
    fill(
        slide, (ax, body_top, ax + max(4, slide.unit(0.005)), body_top + body_h), slide.theme.accent
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
        fill(
            slide,
            (right_x, y, right_x + max(4, slide.unit(0.005)), y + height),
            slide.theme.primary,
        )
        placed = moved(group, right_x + pad, y + pad + extra // 2)
        child_dots(slide, placed)
        slide.blocks.extend(placed)
        y += height + gap

"""Content layouts, one per module, and how a content page chooses one.

Each layout module has a `render(slide)` that draws the page's title, shapes and text blocks;
`LAYOUTS` maps a layout's name to it (`step_list` is the numbered form of `bullets`).
"""

from __future__ import annotations

from collections.abc import Callable

from generation.render.canvas import Item, Slide
from generation.render.layouts import bullets, grid, hierarchy, problem_solution, steps, two_column
from generation.render.text import is_cjk

LAYOUTS: dict[str, Callable[[Slide], None]] = {
    "bullets": bullets.render,
    "steps": steps.render,
    "step_list": bullets.render_numbered,
    "grid": grid.render,
    "two_column": two_column.render,
    "hierarchy": hierarchy.render,
    "problem_solution": problem_solution.render,
}
CONTENT_LAYOUTS = tuple(LAYOUTS)
_AUTO_LAYOUTS = {
    "classification": "grid",
    "hierarchical": "hierarchy",
    "comparison": "two_column",
    "problem_solution": "problem_solution",
}
_SHORT_STEP_UNITS = 110  # max width units (CJK = 2, Latin = 1) of a horizontal step


def draw_content(slide: Slide) -> str:
    name = choose_layout(slide)
    LAYOUTS[name](slide)
    return name


def choose_layout(slide: Slide) -> str:
    """The render's own layout (a retry's), else the one people chose for the page (its
    plan's "layout"), else the one its semantics suggest."""
    if slide.options.layout != "auto":
        return slide.options.layout
    if slide.plan.get("layout") in LAYOUTS:
        return slide.plan["layout"]
    items = slide.items
    logic = (slide.plan.get("semanticFeatures") or {}).get("logicType", "")
    if logic == "sequential":
        return "steps" if _short_steps(items) else "step_list"
    if logic in ("classification", "comparison") and len(items) < 2:
        return "bullets"
    if logic == "problem_solution" and slide.plan.get("continues"):
        return "bullets"  # its first item is no problem: the problem was on the first page
    return _AUTO_LAYOUTS.get(logic, "bullets")


def _short_steps(items: list[Item]) -> bool:
    def units(item: Item) -> int:
        text = item.title + item.text + "".join(item.children)
        return sum(2 if is_cjk(char) else 1 for char in text)

    return 2 <= len(items) <= 4 and all(units(item) <= _SHORT_STEP_UNITS for item in items)

"""Whether a page's text fits its slide, measured by the renderer itself.

The layouts shrink all text sizes together until everything fits or the minimum sizes are
reached; past that they would place text beyond the safe box, where it is cut at the slide's
edge. `page_fits` lays the page out exactly as `render_slide` will (same wrapping, same font
metrics, same layout choice) without drawing anything (no text, shapes or backgrounds: a
tenth of the time of drawing them: ~1 ms a page), and says whether every text block lies
inside the safe box. The plan step asks it before anything is drawn and splits a page that
does not fit into continuation pages.

Geometry depends on the plan, the slide size and the template's fonts only: a theme's colours
or images change no position.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from generation.render.geometry import Box
from generation.render.renderer import lay_out
from generation.slides import Theme


def boxes_outside(boxes: list[Box], safe: Box) -> list[Box]:
    """The boxes that reach past the safe box on any side."""
    x0, y0, x1, y1 = safe
    return [box for box in boxes if box[0] < x0 or box[1] < y0 or box[2] > x1 or box[3] > y1]


def page_fits(
    plan: dict, size: tuple[int, int], fonts: tuple[str, str] = ("", ""), layout: str = "auto"
) -> bool:
    """Whether the local renderer lays out all of the page's text inside the safe box, in the
    template's (title, body) fonts ("": the default face) and, for a content page, the given
    layout ("auto": the one the renderer picks, as the pipeline renders; bench_text_check
    forces each of CONTENT_LAYOUTS in turn)."""
    key = json.dumps(plan, ensure_ascii=False, sort_keys=True)
    return _fits(key, int(size[0]), int(size[1]), tuple(fonts), layout)


def fit_measure(
    size: tuple[int, int], fonts: tuple[str, str] = ("", ""), layout: str = "auto"
) -> Callable[[dict], bool]:
    """`page_fits` for slides of `size` in `fonts` (and `layout`): the measure the planner is
    given."""
    return functools.partial(page_fits, size=size, fonts=tuple(fonts), layout=layout)


def template_fonts(fonts: dict | None) -> tuple[str, str]:
    """(title, body) of a template's `fonts`, as `fit_measure` takes them."""
    fonts = fonts or {}
    return str(fonts.get("title") or ""), str(fonts.get("body") or "")


@functools.lru_cache(maxsize=2048)
def _fits(plan_json: str, width: int, height: int, fonts: tuple[str, str], layout: str) -> bool:
    theme = Theme(title_font=fonts[0], body_font=fonts[1])
    plan = json.loads(plan_json)
    params = {"layout": layout} if plan.get("kind") == "content" else None
    slide, _layout = lay_out(plan, theme, (width, height), params, draw=False)
    boxes = [block.box for block in slide.blocks if block.lines]
    return not boxes_outside(boxes, slide.safe)

"""Local slide renderer: a page plan and a theme in, a slide image and its text boxes out.

Every layout first fits its text (shrinking all sizes together until everything fits or
the point minimums are reached), then draws its shapes, then picks each text colour by
contrast against the pixels the text sits on, then draws the text. The text boxes do not
depend on `draw_text`, so an editable export can place native text exactly where the
image would have had it.

`render_slide` is the entry point (`fit.py` measures a page through `lay_out`). Page kinds
other than content pages are drawn by `pages.py`, content pages by one of `layouts/`; both
work on a `canvas.Slide` with the helpers of `frame.py` (background, band, title),
`shapes.py`, `parts.py` (items as text), `geometry.py` and `colour.py`.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from PIL import Image, ImageDraw

from generation.render.canvas import Options, Slide, plan_items
from generation.render.colour import backgrounds_under, readable, required_contrast, to_rgb
from generation.render.layouts import CONTENT_LAYOUTS, draw_content
from generation.render.logo import place_logo
from generation.render.pages import PAGE_KINDS
from generation.render.text import Block, draw
from generation.slides import RenderResult, Theme


def _parse_options(params: dict | None) -> Options:
    params = params or {}
    font_scale = float(1.0 if params.get("font_scale") is None else params["font_scale"])
    layout_name = params.get("layout") or "auto"
    scrim = params.get("scrim")
    max_items = params.get("max_items")
    contrast = params.get("text_contrast") or "auto"
    emphasis = params.get("emphasis")
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
        emphasis=None if emphasis is None else int(emphasis),
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
    text_contrast ("auto" or "max": pure black or white), emphasis (index of the plan item
    drawn in the accent colours, or None). With draw_text=False everything
    but the text is drawn; the boxes are the same either way.
    """
    slide, layout_name = lay_out(plan, theme, size, params)
    blocks = [_with_readable_colour(slide, block) for block in slide.blocks if block.lines]
    if draw_text:
        canvas = ImageDraw.Draw(slide.image)
        for block in blocks:
            draw(canvas, block)
    return RenderResult(
        image=slide.image,
        boxes=[block.text_box() for block in blocks],
        safe_box=slide.safe,
        layout=layout_name,
        overflow=slide.overflow,
        font_scale=slide.options.font_scale,
    )


def lay_out(
    plan: dict,
    theme: Theme,
    size: tuple[int, int],
    params: dict | None = None,
    *,
    draw: bool = True,
) -> tuple[Slide, str]:
    """The page drawn without its text: the slide (image, placed text blocks, safe box) and
    the name of the layout used. `render_slide` colours and draws the blocks; `fit.py`
    measures them without drawing anything (`draw=False`: the same blocks, a blank image)."""
    options = _parse_options(params)
    size = int(size[0]), int(size[1])
    image = Image.new("RGB", size if draw else (1, 1), to_rgb(theme.background))
    slide = Slide(
        image,
        theme,
        plan,
        plan_items(plan, options.max_items, options.emphasis),
        options,
        draws=draw,
        size=size,
    )
    layout_name = PAGE_KINDS.get(plan.get("kind", ""), draw_content)(slide)
    place_logo(slide)
    return slide, layout_name


@functools.cache
def renderer_digest() -> str:
    """A digest of the renderer's own code: a render cached by an earlier version of it (the
    result cache, generation/pipeline/steps/render.py) is not reused once the drawing changes."""
    sha = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        sha.update(path.read_bytes())
    return sha.hexdigest()[:16]

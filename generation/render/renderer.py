"""Local slide renderer: a page plan and a theme in, a slide image and its text boxes out.

Every layout first fits its text (shrinking all sizes together until everything fits or
the point minimums are reached), then draws its shapes, then picks each text colour by
contrast against the pixels the text sits on, then draws the text. The text boxes do not
depend on `draw_text`, so an editable export can place native text exactly where the
image would have had it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from PIL import Image, ImageColor, ImageDraw

from generation.render.text import Block, Part, bounds, draw, has_cjk, is_cjk, layout, stack
from generation.slides import RenderResult, TextBox, Theme, px_per_pt
from generation.wcag import contrast_ratio as wcag_contrast
from generation.wcag import min_font_pt
from generation.wcag import required_contrast as wcag_required_contrast

Box = tuple[int, int, int, int]
T = TypeVar("T")

CONTENT_LAYOUTS = (
    "bullets",
    "steps",
    "step_list",
    "grid",
    "two_column",
    "hierarchy",
    "problem_solution",
)
PAGE_LAYOUTS = ("cover", "contents", "transition")
BLACK, WHITE = "#000000", "#ffffff"

_FACTORS = (1.0, 0.93, 0.86, 0.8, 0.74, 0.68, 0.62, 0.56, 0.5, 0.0)
_DEFAULT_SCRIM = {"cover": 0.82, "transition": 0.88}
_AUTO_LAYOUTS = {
    "classification": "grid",
    "hierarchical": "hierarchy",
    "comparison": "two_column",
    "problem_solution": "problem_solution",
}
_LABELS = {"zh": ("问题", "解决方案"), "en": ("Problem", "Solution")}
_SUPERSAMPLE = 3
_RING = (2, 8)  # the ring 2 to 8 pixels around a text box is part of its background
_SHORT_STEP_UNITS = 110  # max width units (CJK = 2, Latin = 1) of a horizontal step


@dataclass(frozen=True)
class _Style:
    role: str
    start_pt: float
    bold: bool = False
    leading: float = 1.35


_STYLES = {
    "cover_title": _Style("title", 44, True, 1.2),
    "cover_subtitle": _Style("subtitle", 24, False, 1.35),
    "title": _Style("title", 34, True, 1.2),
    "section_number": _Style("number", 80, True, 1.0),
    "section_label": _Style("subtitle", 22, False, 1.3),
    "section_title": _Style("title", 40, True, 1.2),
    "heading": _Style("item_title", 23, True, 1.3),
    "body": _Style("item_text", 21, False, 1.45),
    "child": _Style("item_text", 19, False, 1.4),
    "number": _Style("number", 22, True, 1.0),
    "label": _Style("label", 19, True, 1.2),
}


@dataclass(frozen=True)
class _Options:
    font_scale: float = 1.0
    layout: str = "auto"
    scrim: float | None = None
    max_items: int | None = None
    text_contrast: str = "auto"


def _options(params: dict | None) -> _Options:
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
    return _Options(
        font_scale=font_scale,
        layout=layout_name,
        scrim=None if scrim is None else min(1.0, max(0.0, float(scrim))),
        max_items=None if max_items is None else max(0, int(max_items)),
        text_contrast=contrast,
    )


@dataclass(frozen=True)
class _Item:
    title: str = ""
    text: str = ""
    children: tuple[str, ...] = ()


def _items(plan: dict, max_items: int | None) -> list[_Item]:
    items = []
    for raw in plan.get("items") or ():
        if not isinstance(raw, dict):
            continue
        children = tuple(str(child).strip() for child in raw.get("children") or ())
        item = _Item(
            title=str(raw.get("title") or "").strip(),
            text=str(raw.get("text") or "").strip(),
            children=tuple(child for child in children if child),
        )
        if item.title or item.text or item.children:
            items.append(item)
    return items if max_items is None else items[:max_items]


# Colours -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _rgb(colour: str) -> tuple[int, int, int]:
    red, green, blue = ImageColor.getrgb(colour)[:3]
    return red, green, blue


def _hex(rgb: tuple[int, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(round(channel) for channel in rgb[:3]))


def _mix(first: str, second: str, amount: float) -> str:
    """`amount` of `second` blended into `first`."""
    pairs = zip(_rgb(first), _rgb(second), strict=True)
    return _hex(tuple(a + (b - a) * amount for a, b in pairs))


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio between two colours (1 to 21)."""
    return wcag_contrast(_rgb(first), _rgb(second))


def _readable(preferred: str, backgrounds: list[str], minimum: float, mode: str) -> str:
    """`preferred`, shaded towards black or white just enough to reach `minimum` contrast."""

    def worst(colour: str) -> float:
        return min(contrast_ratio(colour, background) for background in backgrounds)

    extreme = max((BLACK, WHITE), key=worst)
    if mode == "max":
        return extreme
    for step in range(11):
        candidate = _mix(preferred, extreme, step / 10)
        if worst(candidate) >= minimum:
            return candidate
    return extreme


# Slide state ---------------------------------------------------------------------------


@dataclass
class _Slide:
    image: Image.Image
    theme: Theme
    plan: dict
    items: list[_Item]
    options: _Options
    blocks: list[Block] = field(default_factory=list)
    overflow: bool = False

    @property
    def w(self) -> int:
        return self.image.width

    @property
    def h(self) -> int:
        return self.image.height

    @property
    def ppt(self) -> float:
        return px_per_pt(self.w, self.h)

    @property
    def safe(self) -> Box:
        margin_x, margin_y = round(self.w * 0.06), round(self.h * 0.07)
        return margin_x, margin_y, self.w - margin_x, self.h - margin_y

    @property
    def title(self) -> str:
        return str(self.plan.get("title") or "").strip()

    @property
    def language(self) -> str:
        language = self.plan.get("language")
        if language in _LABELS:
            return language
        return "zh" if has_cjk(self.title) else "en"

    def unit(self, fraction: float) -> int:
        """`fraction` of the slide width, in whole pixels."""
        return round(self.w * fraction)

    def vunit(self, fraction: float) -> int:
        """`fraction` of the slide height, in whole pixels."""
        return round(self.h * fraction)

    def px(self, style: str, factor: float) -> int:
        spec = _STYLES[style]
        minimum = math.ceil(min_font_pt(spec.role) * self.ppt)
        return max(minimum, round(spec.start_pt * self.ppt * self.options.font_scale * factor))

    def part(
        self,
        style: str,
        text: str,
        factor: float,
        color: str,
        *,
        align: str = "left",
        space: float = 0.0,
        indent: int = 0,
    ) -> Part:
        """A text part in `style` at size `factor`, with `space` em above it when stacked."""
        spec = _STYLES[style]
        px = self.px(style, factor)
        return Part(
            text, spec.role, px, spec.bold, align, color, spec.leading, round(space * px), indent
        )

    def fit(self, attempt: Callable[[float], tuple[T, bool]]) -> T:
        """The result of the largest size factor that fits; the minimum sizes if none does."""
        for factor in _FACTORS:
            result, fits = attempt(factor)
            if fits:
                return result
        self.overflow = True
        return result

    def scrim(self, kind: str) -> float:
        if self.options.scrim is None:
            return _DEFAULT_SCRIM.get(kind, 0.0)
        return self.options.scrim


# Drawing helpers -----------------------------------------------------------------------


def _height(box: Box) -> int:
    return box[3] - box[1]


def _offset(free: int, bias: float = 0.4) -> int:
    return max(0, round(free * bias))


def _moved(blocks: list[Block], dx: int, dy: int) -> list[Block]:
    return [block.moved(dx, dy) for block in blocks]


def _centred(block: Block, box: Box) -> Block:
    x0, y0, x1, y1 = block.box
    dx = box[0] + ((box[2] - box[0]) - (x1 - x0)) // 2 - x0
    dy = box[1] + ((box[3] - box[1]) - (y1 - y0)) // 2 - y0
    return block.moved(dx, dy)


def _group_height(blocks: list[Block]) -> int:
    return _height(bounds(blocks)) if blocks else 0


@functools.lru_cache(maxsize=64)
def _small_mask(shape: str, width: int, height: int, alpha: int) -> Image.Image:
    """An anti-aliased ellipse or arrow mask (drawn supersampled, then reduced)."""
    scale = _SUPERSAMPLE
    w, h = width * scale, height * scale
    big = Image.new("L", (w, h), 0)
    canvas = ImageDraw.Draw(big)
    if shape == "ellipse":
        canvas.ellipse((0, 0, w - 1, h - 1), fill=alpha)
    else:
        canvas.polygon([(0, 0), (w - 1, h // 2), (0, h - 1), (w // 3, h // 2)], fill=alpha)
    return big.reduce(scale)


@functools.lru_cache(maxsize=64)
def _corner(radius: int, alpha: int) -> Image.Image:
    """The anti-aliased top-left corner of a rounded rectangle."""
    return _small_mask("ellipse", 2 * radius, 2 * radius, alpha).crop((0, 0, radius, radius))


def _rounded_mask(width: int, height: int, radius: int, alpha: int) -> Image.Image:
    mask = Image.new("L", (width, height), alpha)
    radius = min(radius, width // 2, height // 2)
    if radius > 0:
        corner = _corner(radius, alpha)
        flip_x, flip_y = Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.FLIP_TOP_BOTTOM
        mask.paste(corner, (0, 0))
        mask.paste(corner.transpose(flip_x), (width - radius, 0))
        mask.paste(corner.transpose(flip_y), (0, height - radius))
        mask.paste(corner.transpose(Image.Transpose.ROTATE_180), (width - radius, height - radius))
    return mask


def _shape(
    slide: _Slide,
    box: Box,
    colour: str,
    *,
    shape: str = "round",
    radius: int = 0,
    alpha: float = 1.0,
) -> None:
    """Fill `box` with an anti-aliased rounded rectangle, ellipse or arrow."""
    x0, y0, x1, y1 = (round(value) for value in box)
    if x1 <= x0 or y1 <= y0:
        return
    opacity = round(alpha * 255)
    if shape == "round" and radius == 0 and opacity == 255:
        ImageDraw.Draw(slide.image).rectangle((x0, y0, x1 - 1, y1 - 1), fill=_rgb(colour))
        return
    if shape == "round":
        mask = _rounded_mask(x1 - x0, y1 - y0, radius, opacity)
    else:
        mask = _small_mask(shape, x1 - x0, y1 - y0, opacity)
    slide.image.paste(_rgb(colour), (x0, y0, x1, y1), mask)


@functools.lru_cache(maxsize=8)
def _gradient(size: tuple[int, int], top: str, bottom: str) -> Image.Image:
    width, height = size
    column = Image.new("RGB", (1, height))
    steps = max(1, height - 1)
    column.putdata([_rgb(_mix(top, bottom, y / steps)) for y in range(height)])
    return column.resize((width, height), Image.Resampling.NEAREST)


def _cover_crop(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` scaled to cover `size` and centre-cropped (like CSS object-fit: cover)."""
    source = image if image.mode == "RGB" else image.convert("RGB")
    width, height = size
    scale = max(width / source.width, height / source.height)
    crop_w, crop_h = width / scale, height / scale
    left, top = (source.width - crop_w) / 2, (source.height - crop_h) / 2
    box = (left, top, left + crop_w, top + crop_h)
    return source.resize(size, Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)


def _grown(image: Image.Image, box: Box, margin: int) -> Box:
    """`box` grown by `margin` pixels, clipped to the image."""
    return (
        max(0, box[0] - margin),
        max(0, box[1] - margin),
        min(image.width, box[2] + margin),
        min(image.height, box[3] + margin),
    )


def _median_colour(histogram: list[int]) -> str:
    """The per-channel median colour of an RGB histogram."""
    channels = (histogram[start : start + 256] for start in (0, 256, 512))
    medians = []
    for counts in channels:
        cumulative = list(itertools.accumulate(counts))
        medians.append(bisect.bisect_left(cumulative, cumulative[-1] / 2))
    return _hex(tuple(medians))


def _backgrounds(image: Image.Image, box: Box) -> list[str]:
    """Median colours under a text box and in the ring of pixels just around it."""
    inside = _grown(image, box, 0)
    outer = _grown(image, box, _RING[1])
    colours = []
    if inside[2] > inside[0] and inside[3] > inside[1]:
        colours.append(_median_colour(image.crop(inside).histogram()))
    if outer[2] > outer[0] and outer[3] > outer[1]:
        ring = Image.new("L", (outer[2] - outer[0], outer[3] - outer[1]), 255)
        x0, y0, x1, y1 = _grown(image, box, _RING[0])
        hole = (x0 - outer[0], y0 - outer[1], x1 - outer[0] - 1, y1 - outer[1] - 1)
        ImageDraw.Draw(ring).rectangle(hole, fill=0)
        histogram = image.crop(outer).histogram(ring)
        if sum(histogram):
            colours.append(_median_colour(histogram))
    return colours or [_hex(image.getpixel((0, 0)))]


def _tint(slide: _Slide, amount: float = 0.07) -> str:
    return _mix(slide.theme.background, slide.theme.primary, amount)


def _card(slide: _Slide, box: Box, bar: str | None = None) -> int:
    """A tinted rounded card, optionally with a short accent bar; returns the content top."""
    pad = slide.unit(0.016)
    _shape(slide, box, _tint(slide), radius=slide.unit(0.01))
    if bar is None:
        return box[1] + pad
    bar_h = max(3, slide.vunit(0.007))
    bar_box = (box[0] + pad, box[1] + pad, box[0] + pad + slide.unit(0.035), box[1] + pad + bar_h)
    _shape(slide, bar_box, bar, radius=bar_h // 2)
    return bar_box[3] + slide.vunit(0.018)


def _card_extra(slide: _Slide, bar: bool) -> int:
    """Card height beyond its text: padding, plus the accent bar when there is one."""
    pad = slide.unit(0.016)
    return 2 * pad + (max(3, slide.vunit(0.007)) + slide.vunit(0.018) if bar else 0)


# Items as text -------------------------------------------------------------------------


def _item_parts(
    slide: _Slide, item: _Item, factor: float, align: str = "left", space: float = 0.0
) -> list[Part]:
    """Heading, text and children of one item; `space` (em) goes above the first part."""
    theme = slide.theme
    parts = []
    if item.title:
        parts.append(slide.part("heading", item.title, factor, theme.primary, align=align))
    if item.text:
        parts.append(slide.part("body", item.text, factor, theme.text, align=align, space=0.3))
    indent = 0 if align == "center" else round(slide.px("child", factor) * 1.1)
    for child in item.children:
        parts.append(
            slide.part("child", child, factor, theme.text, align=align, space=0.25, indent=indent)
        )
    if parts:
        parts[0] = replace(parts[0], space_before=round(space * parts[0].px))
    return parts


def _items_parts(slide: _Slide, items: list[_Item], factor: float) -> list[Part]:
    parts: list[Part] = []
    for index, item in enumerate(items):
        parts.extend(_item_parts(slide, item, factor, space=0.8 if index else 0.0))
    return parts


def _child_dots(slide: _Slide, blocks: list[Block]) -> None:
    for block in blocks:
        if block.part.indent and block.lines:
            size = max(4, round(block.part.px * 0.22))
            cx = block.xs[0] - round(block.part.px * 0.6)
            cy = block.baselines[0] - round(block.part.px * 0.37)
            box = (cx - size // 2, cy - size // 2, cx - size // 2 + size, cy - size // 2 + size)
            _shape(slide, box, slide.theme.muted, shape="ellipse")


def _first_line_middle(blocks: list[Block]) -> int:
    first = blocks[0]
    return first.baselines[0] - round(first.part.px * 0.37)


# Page frame ----------------------------------------------------------------------------


def _background(slide: _Slide) -> None:
    theme = slide.theme
    gradient = _gradient(slide.image.size, theme.background, _tint(slide, 0.06))
    slide.image.paste(gradient, (0, 0))


def _band(slide: _Slide) -> None:
    band_h = max(4, slide.vunit(0.028))
    reference = slide.theme.reference_image
    if reference is not None:
        slide.image.paste(_cover_crop(reference, (slide.w, band_h)), (0, 0))
    else:
        _shape(slide, (0, 0, slide.w, band_h), slide.theme.primary)
    _shape(slide, (0, 0, slide.unit(0.14), band_h), slide.theme.accent)


def _content_area(slide: _Slide, *, with_title: bool = True) -> Box:
    """Draws the background, band and title; returns the area left for the body."""
    _background(slide)
    _band(slide)
    x0, y0, x1, y1 = slide.safe
    if not with_title or not slide.title:
        return slide.safe

    def attempt(factor: float) -> tuple[Block, bool]:
        part = slide.part("title", slide.title, factor, slide.theme.primary)
        block = layout(part, x0, y0, x1 - x0)
        return block, _height(block.box) <= slide.vunit(0.19)

    title = slide.fit(attempt)
    slide.blocks.append(title)
    bar_top = title.bottom + slide.vunit(0.022)
    bar_h = max(3, slide.vunit(0.007))
    _shape(
        slide,
        (x0, bar_top, x0 + slide.unit(0.05), bar_top + bar_h),
        slide.theme.accent,
        radius=bar_h // 2,
    )
    return x0, bar_top + bar_h + slide.vunit(0.045), x1, y1


# Cover and transition ------------------------------------------------------------------


def _image_background(slide: _Slide) -> None:
    reference = slide.theme.reference_image
    if reference is not None:
        slide.image.paste(_cover_crop(reference, slide.image.size), (0, 0))
        return
    primary = slide.theme.primary
    gradient = _gradient(slide.image.size, primary, _mix(primary, BLACK, 0.35))
    slide.image.paste(gradient, (0, 0))


def _cover(slide: _Slide) -> str:
    _image_background(slide)
    x0, y0, x1, y1 = slide.safe
    width = round((x1 - x0) * 0.84)
    left = x0 + ((x1 - x0) - width) // 2
    subtitle = str(slide.plan.get("subtitle") or "").strip()

    def attempt(factor: float) -> tuple[list[Block], bool]:
        theme = slide.theme
        parts = [slide.part("cover_title", slide.title, factor, theme.primary, align="center")]
        parts.append(
            slide.part("cover_subtitle", subtitle, factor, theme.muted, align="center", space=1.6)
        )
        blocks = stack(parts, left, 0, width)
        return blocks, _group_height(blocks) <= round((y1 - y0) * 0.72)

    blocks = slide.fit(attempt)
    if not blocks:
        return "cover"
    top = slide.vunit(0.47) - _group_height(blocks) // 2
    blocks = _moved(blocks, 0, top)
    _cover_panel(slide, blocks)
    slide.blocks.extend(blocks)
    return "cover"


def _cover_panel(slide: _Slide, blocks: list[Block]) -> None:
    x0, y0, x1, y1 = bounds(blocks)
    pad_x, pad_y = slide.unit(0.05), slide.vunit(0.07)
    panel = (
        max(0, x0 - pad_x),
        max(0, y0 - pad_y),
        min(slide.w, x1 + pad_x),
        min(slide.h, y1 + pad_y),
    )
    alpha = slide.scrim("cover")
    if alpha > 0:
        _shape(slide, panel, slide.theme.background, radius=slide.unit(0.012), alpha=alpha)
    if len(blocks) > 1:
        centre, bar_h = slide.w // 2, max(3, slide.vunit(0.007))
        middle = (blocks[0].bottom + blocks[1].box[1]) // 2
        bar = (
            centre - slide.unit(0.03),
            middle - bar_h // 2,
            centre + slide.unit(0.03),
            middle - bar_h // 2 + bar_h,
        )
        _shape(slide, bar, slide.theme.accent, radius=bar_h // 2)


def _transition(slide: _Slide) -> str:
    _image_background(slide)
    x0, y0, _x1, y1 = slide.safe
    panel_right = slide.unit(0.56)
    width = panel_right - x0 - slide.unit(0.04)
    index = int(slide.plan.get("section_index") or 0)
    label = str(slide.plan.get("subtitle") or "").strip()

    def attempt(factor: float) -> tuple[list[Block], bool]:
        theme = slide.theme
        parts = [
            slide.part("section_number", f"{index:02d}" if index > 0 else "", factor, theme.accent),
            slide.part("section_label", label, factor, theme.muted, space=0.9),
            slide.part("section_title", slide.title, factor, theme.primary, space=0.5),
        ]
        blocks = stack(parts, x0, 0, width)
        return blocks, _group_height(blocks) <= y1 - y0

    blocks = slide.fit(attempt)
    alpha = slide.scrim("transition")
    if alpha > 0:
        _shape(slide, (0, 0, panel_right, slide.h), slide.theme.background, alpha=alpha)
        _shape(
            slide,
            (panel_right, 0, panel_right + max(4, slide.unit(0.006)), slide.h),
            slide.theme.accent,
        )
    if blocks:
        top = y0 + ((y1 - y0) - _group_height(blocks)) // 2
        slide.blocks.extend(_moved(blocks, 0, top))
    return "transition"


# Contents ------------------------------------------------------------------------------


def _contents(slide: _Slide) -> str:
    ax, ay, ax1, ay1 = _content_area(slide)
    items = slide.items
    if not items:
        return "contents"
    columns = 2 if len(items) > 5 else 1
    rows = math.ceil(len(items) / columns)
    gap = slide.unit(0.04)
    col_w = ((ax1 - ax) - gap * (columns - 1)) // columns
    row_cap = (ay1 - ay) // rows

    def attempt(factor: float) -> tuple[tuple[float, int, int, list[Block]], bool]:
        badge = _marker(slide, factor, numbered=True)
        text_w = col_w - badge - slide.unit(0.018)
        theme = slide.theme
        blocks = [
            layout(slide.part("heading", item.title or item.text, factor, theme.text), 0, 0, text_w)
            for item in items
        ]
        pitch = min(row_cap, round(badge * 1.8))
        tallest = max(badge, *(_height(block.box) for block in blocks))
        return (factor, badge, pitch, blocks), tallest <= pitch - slide.vunit(0.02)

    factor, badge, pitch, blocks = slide.fit(attempt)
    top = ay + _offset((ay1 - ay) - pitch * rows, 0.35)
    for index, block in enumerate(blocks):
        column, row = divmod(index, rows)
        cell = (ax + column * (col_w + gap), top + row * pitch, col_w, pitch)
        _contents_row(slide, cell, badge, factor, index, block)
    return "contents"


def _contents_row(
    slide: _Slide,
    cell: tuple[int, int, int, int],
    badge: int,
    factor: float,
    index: int,
    block: Block,
) -> None:
    """One numbered section row; `cell` is (x, y, width, height)."""
    x, y, width, pitch = cell
    badge_top = y + (pitch - badge) // 2
    badge_box = (x, badge_top, x + badge, badge_top + badge)
    _shape(slide, badge_box, slide.theme.accent, radius=max(2, badge // 5))
    _shape(slide, (x, y + pitch - 1, x + width, y + pitch), _tint(slide, 0.16))
    number = slide.part(
        "number", f"{index + 1:02d}", factor, slide.theme.background, align="center"
    )
    slide.blocks.append(_centred(layout(number, 0, 0, badge), badge_box))
    text_x = x + badge + slide.unit(0.018)
    slide.blocks.append(_centred(block, (text_x, y, text_x + _width(block.box), y + pitch)))


def _width(box: Box) -> int:
    return box[2] - box[0]


# Content layouts -----------------------------------------------------------------------


def _content(slide: _Slide) -> str:
    name = _content_layout(slide)
    _CONTENT_RENDERERS[name](slide)
    return name


def _content_layout(slide: _Slide) -> str:
    if slide.options.layout != "auto":
        return slide.options.layout
    items = slide.items
    logic = (slide.plan.get("semanticFeatures") or {}).get("logicType", "")
    if logic == "sequential":
        return "steps" if _short_steps(items) else "step_list"
    if logic in ("classification", "comparison") and len(items) < 2:
        return "bullets"
    return _AUTO_LAYOUTS.get(logic, "bullets")


def _short_steps(items: list[_Item]) -> bool:
    def units(item: _Item) -> int:
        text = item.title + item.text + "".join(item.children)
        return sum(2 if is_cjk(char) else 1 for char in text)

    return 2 <= len(items) <= 4 and all(units(item) <= _SHORT_STEP_UNITS for item in items)


def _marker(slide: _Slide, factor: float, numbered: bool) -> int:
    """Diameter of a list marker: a number circle, or a small dot."""
    if numbered:
        return round(slide.px("number", factor) * 1.75)
    return max(6, round(slide.px("heading", factor) * 0.3))


def _bullets(slide: _Slide) -> None:
    _list(slide, numbered=False)


def _step_list(slide: _Slide) -> None:
    _list(slide, numbered=True)


def _list(slide: _Slide, *, numbered: bool) -> None:
    ax, ay, ax1, ay1 = _content_area(slide)
    if not slide.items:
        return

    def attempt(factor: float) -> tuple[tuple[float, int, list[list[Block]]], bool]:
        marker = _marker(slide, factor, numbered)
        indent = marker + (slide.unit(0.016) if numbered else round(marker * 1.6))
        groups = [
            stack(_item_parts(slide, item, factor), ax + indent, 0, ax1 - ax - indent)
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
    y = ay + _offset(free - gap * (len(rows) - 1), 0.3)
    placed, centres = [], []
    for group, row in zip(groups, rows, strict=True):
        text_dy, middle = _row_align(group, marker)
        placed.append(_moved(group, 0, y + text_dy))
        centres.append(y + middle)
        y += row + gap
    numbers = _list_markers(slide, (ax, marker, factor), centres, numbered)
    for number, group in zip(numbers, placed, strict=True):
        _child_dots(slide, group)
        slide.blocks.extend([number, *group] if number else group)


def _row_align(group: list[Block], marker: int) -> tuple[int, int]:
    """(text offset, marker centre) in a row whose marker centres on the first text line."""
    line_middle = _first_line_middle(group)
    middle = max(marker // 2, line_middle)
    return middle - line_middle, middle


def _row_height(group: list[Block], marker: int) -> int:
    text_dy, middle = _row_align(group, marker)
    return max(text_dy + _group_height(group), middle + marker - marker // 2)


def _list_markers(
    slide: _Slide, spec: tuple[int, int, float], centres: list[int], numbered: bool
) -> list[Block | None]:
    """Draws the markers (and a connecting line for numbers); returns the number blocks."""
    x, marker, factor = spec
    theme = slide.theme
    if numbered and len(centres) > 1:
        line_w = max(2, slide.unit(0.002))
        cx = x + marker // 2 - line_w // 2
        _shape(slide, (cx, centres[0], cx + line_w, centres[-1]), _tint(slide, 0.25))
    numbers: list[Block | None] = []
    for index, centre in enumerate(centres):
        box = (x, centre - marker // 2, x + marker, centre - marker // 2 + marker)
        _shape(slide, box, theme.accent, shape="ellipse")
        numbers.append(_number(slide, index, factor, box) if numbered else None)
    return numbers


def _number(slide: _Slide, index: int, factor: float, box: Box) -> Block:
    part = slide.part("number", str(index + 1), factor, slide.theme.background, align="center")
    return _centred(layout(part, 0, 0, _width(box)), box)


def _centre_group(blocks: list[Block], box: Box) -> list[Block]:
    x0, y0, x1, y1 = bounds(blocks)
    dx = box[0] + (_width(box) - (x1 - x0)) // 2 - x0
    dy = box[1] + (_height(box) - (y1 - y0)) // 2 - y0
    return _moved(blocks, dx, dy)


def _steps(slide: _Slide) -> None:
    ax, ay, ax1, ay1 = _content_area(slide)
    items = slide.items
    if not items:
        return
    gap, pad, lift = slide.unit(0.022), slide.unit(0.016), slide.vunit(0.04)
    col_w = ((ax1 - ax) - gap * (len(items) - 1)) // len(items)

    def attempt(factor: float) -> tuple[tuple[float, int, list[list[Block]], int], bool]:
        marker = _marker(slide, factor, numbered=True)
        groups = [
            stack(_item_parts(slide, item, factor, align="center"), 0, 0, col_w - 2 * pad)
            for item in items
        ]
        content = max(_group_height(group) for group in groups) + 2 * pad
        return (factor, marker, groups, content), marker + lift + content <= ay1 - ay

    factor, marker, groups, content = slide.fit(attempt)
    card_h = max(content, min(ay1 - ay - marker - lift, slide.vunit(0.3)))
    top = ay + _offset((ay1 - ay) - marker - lift - card_h)
    xs = [ax + index * (col_w + gap) for index in range(len(items))]
    line_h = max(3, slide.vunit(0.005))
    middle = top + marker // 2
    line = (
        xs[0] + col_w // 2,
        middle - line_h // 2,
        xs[-1] + col_w // 2,
        middle - line_h // 2 + line_h,
    )
    _shape(slide, line, _tint(slide, 0.3))
    for index, (x, group) in enumerate(zip(xs, groups, strict=True)):
        circle_x = x + (col_w - marker) // 2
        circle = (circle_x, top, circle_x + marker, top + marker)
        _shape(slide, circle, slide.theme.accent, shape="ellipse")
        card_top = top + marker + lift
        _shape(
            slide,
            (x, card_top, x + col_w, card_top + card_h),
            _tint(slide),
            radius=slide.unit(0.01),
        )
        slide.blocks.append(_number(slide, index, factor, circle))
        slide.blocks.extend(_moved(group, x + pad, card_top + pad))


def _grid_shape(count: int) -> tuple[int, int]:
    rows = 1 if count <= 3 else 2 if count <= 8 else 3
    return rows, math.ceil(count / rows)


def _grid(slide: _Slide) -> None:
    ax, ay, ax1, ay1 = _content_area(slide)
    items = slide.items
    if not items:
        return
    rows, cols = _grid_shape(len(items))
    gap, pad = slide.unit(0.02), slide.unit(0.016)
    cell_w = ((ax1 - ax) - gap * (cols - 1)) // cols
    cell_cap = ((ay1 - ay) - gap * (rows - 1)) // rows

    def attempt(factor: float) -> tuple[tuple[list[list[Block]], int], bool]:
        groups = [stack(_item_parts(slide, item, factor), 0, 0, cell_w - 2 * pad) for item in items]
        need = max(_group_height(group) for group in groups) + _card_extra(slide, bar=True)
        return (groups, need), need <= cell_cap

    groups, need = slide.fit(attempt)
    card_h = max(need, round(cell_cap * (0.6 if rows == 1 else 0.8)))
    top = ay + _offset((ay1 - ay) - rows * card_h - gap * (rows - 1))
    for index, group in enumerate(groups):
        row, col = divmod(index, cols)
        in_row = min(cols, len(items) - row * cols)
        x = ax + (cols - in_row) * (cell_w + gap) // 2 + col * (cell_w + gap)
        y = top + row * (card_h + gap)
        content_top = _card(slide, (x, y, x + cell_w, y + card_h), slide.theme.accent)
        placed = _moved(group, x + pad, content_top)
        _child_dots(slide, placed)
        slide.blocks.extend(placed)


def _comparison_columns(items: list[_Item]) -> list[tuple[str, list[_Item]]]:
    if len(items) == 2:
        return [(item.title, [_Item(text=item.text, children=item.children)]) for item in items]
    half = math.ceil(len(items) / 2)
    return [("", items[:half]), ("", items[half:])]


def _two_column(slide: _Slide) -> None:
    ax, ay, ax1, ay1 = _content_area(slide)
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
        head_h = max(_height(head.box) for head in heads) + 2 * head_pad if has_heads else 0
        bodies = [
            stack(_items_parts(slide, column, factor), 0, 0, col_w - 2 * pad)
            for _, column in columns
        ]
        body_h = max(_group_height(body) for body in bodies)
        need = head_h + body_h + _card_extra(slide, bar=not has_heads)
        return (heads, head_h, bodies, need), need <= ay1 - ay

    heads, head_h, bodies, need = slide.fit(attempt)
    card_h = max(need, round((ay1 - ay) * 0.7))
    top = ay + _offset((ay1 - ay) - card_h)
    colours = (slide.theme.primary, slide.theme.accent)
    for index, (head, body) in enumerate(zip(heads, bodies, strict=True)):
        x = ax + index * (col_w + gap)
        card = (x, top, x + col_w, top + card_h)
        if has_heads:
            content_top = _headed_card(slide, card, head_h, colours[index]) + pad
            if head.lines:
                slide.blocks.append(_centred(head, (x, top, x + col_w, top + head_h)))
        else:
            content_top = _card(slide, card, colours[index])
        placed = _moved(body, x + pad, content_top)
        _child_dots(slide, placed)
        slide.blocks.extend(placed)


def _headed_card(slide: _Slide, box: Box, head_h: int, colour: str) -> int:
    """A card whose top `head_h` pixels are a coloured header; returns the header's bottom."""
    x0, y0, x1, _y1 = box
    radius = slide.unit(0.01)
    _shape(slide, box, _tint(slide), radius=radius)
    _shape(slide, (x0, y0, x1, y0 + head_h), colour, radius=radius)
    _shape(slide, (x0, y0 + head_h - radius, x1, y0 + head_h), colour)
    return y0 + head_h


def _hierarchy(slide: _Slide) -> None:
    items = slide.items
    if len(items) == 1:
        area = _content_area(slide)
        root = items[0]
        kids = [_Item(title=child) for child in root.children]

        def root_parts(factor: float) -> list[Part]:
            bare = _Item(title=root.title, text=root.text)
            return _recoloured(_item_parts(slide, bare, factor, align="center"), slide)

    else:
        area = _content_area(slide, with_title=False)
        kids = items

        def root_parts(factor: float) -> list[Part]:
            colour = slide.theme.background
            return [slide.part("title", slide.title, factor, colour, align="center")]

    if len(kids) > 4:
        _tree_sideways(slide, area, root_parts, kids)
    else:
        _tree_down(slide, area, root_parts, kids)


def _recoloured(parts: list[Part], slide: _Slide) -> list[Part]:
    """Parts recoloured for a primary-filled box."""
    return [replace(part, color=slide.theme.background) for part in parts]


def _root_box(slide: _Slide, box: Box, blocks: list[Block]) -> None:
    _shape(slide, box, slide.theme.primary, radius=slide.unit(0.01))
    if blocks:
        slide.blocks.extend(_centre_group(blocks, box))


def _tree_down(
    slide: _Slide, area: Box, root_parts: Callable[[float], list[Part]], kids: list[_Item]
) -> None:
    ax, ay, ax1, ay1 = area
    gap, pad, link = slide.unit(0.02), slide.unit(0.016), slide.vunit(0.09)
    kid_w = ((ax1 - ax) - gap * (len(kids) - 1)) // max(1, len(kids))
    root_cap = ax1 - ax

    def attempt(factor: float) -> tuple[tuple[list[Block], list[list[Block]], int], bool]:
        root = stack(root_parts(factor), 0, 0, root_cap - 2 * pad)
        groups = [
            stack(_item_parts(slide, kid, factor, align="center"), 0, 0, kid_w - 2 * pad)
            for kid in kids
        ]
        kid_h = max((_group_height(group) for group in groups), default=0) + 2 * pad
        need = _group_height(root) + 2 * pad + (link + kid_h if kids else 0)
        return (root, groups, kid_h), need <= ay1 - ay

    root, groups, kid_h = slide.fit(attempt)
    root_h = _group_height(root) + 2 * pad
    root_w = min(root_cap, max(_width(bounds(root)) if root else 0, (ax1 - ax) // 4) + 4 * pad)
    kid_h = max(kid_h, slide.vunit(0.2)) if kids else 0
    top = ay + _offset((ay1 - ay) - root_h - (link + kid_h if kids else 0), 0.35)
    centre = (ax + ax1) // 2
    kid_xs = [ax + index * (kid_w + gap) for index in range(len(kids))]
    kid_top = top + root_h + link
    _tree_down_links(slide, centre, (top + root_h, kid_top), [x + kid_w // 2 for x in kid_xs])
    _root_box(slide, (centre - root_w // 2, top, centre - root_w // 2 + root_w, top + root_h), root)
    for x, group in zip(kid_xs, groups, strict=True):
        _shape(
            slide,
            (x, kid_top, x + kid_w, kid_top + kid_h),
            _tint(slide, 0.1),
            radius=slide.unit(0.01),
        )
        slide.blocks.extend(_moved(group, x + pad, kid_top + pad))


def _tree_down_links(
    slide: _Slide, centre: int, span: tuple[int, int], kid_centres: list[int]
) -> None:
    if not kid_centres:
        return
    root_bottom, kid_top = span
    line = max(2, slide.unit(0.0025))
    bus = (root_bottom + kid_top) // 2
    colour = _tint(slide, 0.35)
    _shape(slide, (centre - line // 2, root_bottom, centre - line // 2 + line, bus + line), colour)
    left, right = min(kid_centres[0], centre), max(kid_centres[-1], centre)
    _shape(slide, (left - line // 2, bus, right - line // 2 + line, bus + line), colour)
    for x in kid_centres:
        _shape(slide, (x - line // 2, bus, x - line // 2 + line, kid_top), colour)


def _tree_sideways(
    slide: _Slide, area: Box, root_parts: Callable[[float], list[Part]], kids: list[_Item]
) -> None:
    ax, ay, ax1, ay1 = area
    pad, link, gap = slide.unit(0.016), slide.unit(0.06), slide.vunit(0.02)
    root_w = round((ax1 - ax) * 0.3)
    kid_x = ax + root_w + link
    kid_w = ax1 - kid_x

    def attempt(factor: float) -> tuple[tuple[list[Block], list[list[Block]]], bool]:
        root = stack(root_parts(factor), 0, 0, root_w - 2 * pad)
        groups = [stack(_item_parts(slide, kid, factor), 0, 0, kid_w - 2 * pad) for kid in kids]
        kids_h = sum(_group_height(group) + pad for group in groups) + gap * (len(groups) - 1)
        fits = max(kids_h, _group_height(root) + 2 * pad) <= ay1 - ay
        return (root, groups), fits

    root, groups = slide.fit(attempt)
    heights = [_group_height(group) + pad for group in groups]
    free = (ay1 - ay) - sum(heights)
    spacing = max(gap, min(3 * gap, free // max(1, len(groups) - 1)))
    y = ay + _offset(free - spacing * (len(groups) - 1), 0.5)
    middles = []
    for group, height in zip(groups, heights, strict=True):
        middles.append(y + height // 2)
        _shape(slide, (kid_x, y, ax1, y + height), _tint(slide, 0.1), radius=slide.unit(0.008))
        placed = _moved(group, kid_x + pad, y + pad // 2)
        _child_dots(slide, placed)
        slide.blocks.extend(placed)
        y += height + spacing
    root_h = _group_height(root) + 2 * pad
    root_top = (middles[0] + middles[-1]) // 2 - root_h // 2
    _tree_side_links(slide, (ax + root_w, kid_x), (root_top + root_h // 2, middles))
    _root_box(slide, (ax, root_top, ax + root_w, root_top + root_h), root)


def _tree_side_links(slide: _Slide, span: tuple[int, int], rows: tuple[int, list[int]]) -> None:
    root_right, kid_x = span
    root_middle, middles = rows
    line = max(2, slide.unit(0.0025))
    spine = (root_right + kid_x) // 2
    colour = _tint(slide, 0.35)
    _shape(
        slide, (root_right, root_middle - line // 2, spine, root_middle - line // 2 + line), colour
    )
    top, bottom = min(middles[0], root_middle), max(middles[-1], root_middle)
    _shape(slide, (spine - line // 2, top, spine - line // 2 + line, bottom + line), colour)
    for middle in middles:
        _shape(slide, (spine, middle - line // 2, kid_x, middle - line // 2 + line), colour)


def _problem_and_solutions(items: list[_Item]) -> tuple[_Item, list[_Item]]:
    first = items[0]
    if len(items) > 1:
        return first, items[1:]
    if first.title:
        solution = _Item(text=first.text, children=first.children)
        return _Item(title=first.title), [solution] if solution.text or solution.children else []
    return first, []


def _problem_solution(slide: _Slide) -> None:
    ax, ay, ax1, ay1 = _content_area(slide)
    if not slide.items:
        return
    problem, solutions = _problem_and_solutions(slide.items)
    labels = _LABELS[slide.language]
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
        left = stack(_item_parts(slide, problem, factor), 0, 0, left_w - 2 * pad)
        cards = [
            stack(_item_parts(slide, item, factor), 0, 0, ax1 - right_x - 2 * pad)
            for item in solutions
        ]
        body = max(_group_height(left), _stack_height(cards, pad, gap) - 2 * pad) + 2 * pad
        need = max(_height(name.box) for name in names) + label_gap + body
        return (names, left, cards), need <= ay1 - ay

    names, left, cards = slide.fit(attempt)
    _draw_problem_solution(slide, (ax, ay, ax1, ay1), (left_w, right_x), (names, left, cards))


def _stack_height(groups: list[list[Block]], pad: int, gap: int) -> int:
    """Height of cards holding `groups`, stacked with `gap` between them."""
    return sum(_group_height(group) + 2 * pad for group in groups) + gap * max(0, len(groups) - 1)


def _draw_problem_solution(
    slide: _Slide,
    area: Box,
    columns: tuple[int, int],
    content: tuple[list[Block], list[Block], list[list[Block]]],
) -> None:
    ax, ay, ax1, ay1 = area
    left_w, right_x = columns
    names, left, cards = content
    pad, gap, label_gap = slide.unit(0.016), slide.vunit(0.025), slide.vunit(0.02)
    label_h = max(_height(name.box) for name in names)
    body_h = max(_group_height(left) + 2 * pad, _stack_height(cards, pad, gap))
    body_h = max(body_h, round((ay1 - ay - label_h - label_gap) * 0.6))
    top = ay + _offset((ay1 - ay) - label_h - label_gap - body_h, 0.35)
    slide.blocks.extend(name.moved(0, top) for name in names)
    body_top = top + label_h + label_gap
    panel = (ax, body_top, ax + left_w, body_top + body_h)
    _shape(
        slide,
        panel,
        _mix(slide.theme.background, slide.theme.accent, 0.14),
        radius=slide.unit(0.01),
    )
    slide.blocks.extend(_centre_group(left, panel))
    if not cards:
        return
    arrow_w = slide.unit(0.035)
    arrow_x = ax + left_w + (right_x - ax - left_w - arrow_w) // 2
    middle = body_top + body_h // 2
    _shape(
        slide,
        (arrow_x, middle - arrow_w, arrow_x + arrow_w, middle + arrow_w),
        slide.theme.accent,
        shape="arrow",
    )
    extra = (body_h - _stack_height(cards, pad, gap)) // len(cards)
    y = body_top
    for group in cards:
        height = _group_height(group) + 2 * pad + extra
        _shape(slide, (right_x, y, ax1, y + height), _tint(slide), radius=slide.unit(0.01))
        placed = _moved(group, right_x + pad, y + pad + extra // 2)
        _child_dots(slide, placed)
        slide.blocks.extend(placed)
        y += height + gap


_CONTENT_RENDERERS: dict[str, Callable[[_Slide], None]] = {
    "bullets": _bullets,
    "steps": _steps,
    "step_list": _step_list,
    "grid": _grid,
    "two_column": _two_column,
    "hierarchy": _hierarchy,
    "problem_solution": _problem_solution,
}
_PAGE_RENDERERS: dict[str, Callable[[_Slide], str]] = {
    "cover": _cover,
    "ending": _cover,
    "image": _cover,
    "contents": _contents,
    "transition": _transition,
}


# Entry point ---------------------------------------------------------------------------


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


def required_contrast(font_px: int, bold: bool, size: tuple[int, int]) -> float:
    """The WCAG AA contrast a text of `font_px` pixels needs on a slide of `size`."""
    return wcag_required_contrast(font_px / px_per_pt(*size), bold=bold)


def _with_readable_colour(slide: _Slide, block: Block) -> Block:
    backgrounds = _backgrounds(slide.image, block.box)
    minimum = required_contrast(block.part.px, block.part.bold, slide.image.size)
    colour = _readable(block.part.color, backgrounds, minimum, slide.options.text_contrast)
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
    image = Image.new("RGB", (int(size[0]), int(size[1])), _rgb(theme.background))
    slide = _Slide(image, theme, plan, _items(plan, options.max_items), options)
    layout_name = _PAGE_RENDERERS.get(plan.get("kind", ""), _content)(slide)
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

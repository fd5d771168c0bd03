"""The slide being drawn: its image, theme, page plan, options and the text blocks placed so far.

`Slide` also knows the slide's units (safe area, fractions of its width and height, pixels per
point) and text styles, and `fit` tries ever smaller sizes until a layout fits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from PIL import Image

from generation.render.fonts import installed_family
from generation.render.geometry import Box
from generation.render.text import Block, Part
from generation.slides import Theme, px_per_pt
from generation.wcag import min_font_pt

T = TypeVar("T")

_FACTORS = (1.0, 0.93, 0.86, 0.8, 0.74, 0.68, 0.62, 0.56, 0.5, 0.0)
_DEFAULT_SCRIM = {"cover": 0.82, "transition": 0.88}
_TITLE_ROLES = frozenset({"title", "subtitle", "number"})  # in the template's title font


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
}


@dataclass(frozen=True)
class Options:
    font_scale: float = 1.0
    layout: str = "auto"
    scrim: float | None = None
    max_items: int | None = None
    text_contrast: str = "auto"
    emphasis: int | None = None  # index of the plan item drawn in the accent colours


@dataclass(frozen=True)
class Item:
    title: str = ""
    text: str = ""
    children: tuple[str, ...] = ()
    emphasis: bool = False


def plan_items(plan: dict, max_items: int | None, emphasis: int | None = None) -> list[Item]:
    items = []
    for index, raw in enumerate(plan.get("items") or ()):
        if not isinstance(raw, dict):
            continue
        children = tuple(str(child).strip() for child in raw.get("children") or ())
        item = Item(
            title=str(raw.get("title") or "").strip(),
            text=str(raw.get("text") or "").strip(),
            children=tuple(child for child in children if child),
            emphasis=index == emphasis,
        )
        if item.title or item.text or item.children:
            items.append(item)
    return items if max_items is None else items[:max_items]


@dataclass
class Slide:
    image: Image.Image
    theme: Theme
    plan: dict
    items: list[Item]
    options: Options
    blocks: list[Block] = field(default_factory=list)
    overflow: bool = False
    # False: only lay the text out (the fit measure) on a slide of `size`; shapes,
    # backgrounds and images are left undrawn (and `image` is a blank placeholder), which
    # moves no block.
    draws: bool = True
    size: tuple[int, int] = (0, 0)  # (0, 0): the image's

    def __post_init__(self) -> None:
        if self.size == (0, 0):
            self.size = self.image.size

    @property
    def w(self) -> int:
        return self.size[0]

    @property
    def h(self) -> int:
        return self.size[1]

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
        font = self.theme.title_font if spec.role in _TITLE_ROLES else self.theme.body_font
        return Part(
            text,
            spec.role,
            px,
            spec.bold,
            align,
            color,
            spec.leading,
            round(space * px),
            indent,
            installed_family(font),
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

"""Shapes shared by the planner, the renderer, the quality checks and the exports.

A *page plan* is the JSON the `plan` step stores for every page (and Page.plan keeps):

    {
      "kind": "cover" | "contents" | "transition" | "content",
      "title": str,
      "subtitle": str,                       # cover subtitle, transition number label, else ""
      "section": str,                        # the section this page belongs to ("" for cover/contents)
      "section_index": int,                  # 1-based, 0 when none
      "items": [{"title": str, "text": str, "children": [str, ...]}, ...],
      "semanticFeatures": {"logicType": str, "contentType": str},   # content pages only
      "language": "zh" | "en",
    }

Contents pages list the sections as items ({"title": section title, "text": "", "children": []}).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from PIL import Image

PAGE_KINDS = ("cover", "contents", "transition", "content", "ending", "image")
LOGIC_TYPES = ("sequential", "classification", "hierarchical", "comparison", "problem_solution")
CONTENT_TYPES = (
    "lesson_introduction",
    "concept_explanation",
    "comparison_analysis",
    "problem_discussion",
)
SUPPORTED_SIZES = ((1536, 864), (1536, 1024), (1024, 768))


def parse_size(value: str) -> tuple[int, int]:
    """'1536x864' -> (1536, 864); raises ValueError naming the supported sizes."""
    allowed = ", ".join(f"{w}x{h}" for w, h in SUPPORTED_SIZES)
    try:
        width, height = (int(part) for part in value.lower().split("x"))
    except (ValueError, AttributeError):
        raise ValueError(f"size must look like 1536x864 (supported: {allowed})") from None
    if (width, height) not in SUPPORTED_SIZES:
        raise ValueError(f"size {value} is not supported (supported: {allowed})")
    return width, height


def px_per_pt(width: int, height: int) -> float:
    """Pixels per typographic point when the image fills a standard slide.

    A 16:9 slide is 13.333 in (960 pt) wide; 4:3 and 3:2 slides are 10 in (720 pt) wide.
    """
    slide_width_pt = 960 if width / height >= 1.7 else 720
    return width / slide_width_pt


@dataclass(frozen=True)
class TextBox:
    """One block of text as the renderer drew it (pixels, on the rendered image)."""

    role: str  # title | subtitle | item_title | item_text | number | label
    text: str  # the source text (unwrapped)
    x: int  # left edge of the drawn text
    y: int  # top edge of the drawn text
    w: int  # width actually covered by the drawn lines
    h: int  # height actually covered by the drawn lines
    font_px: int
    color: str  # "#rrggbb"
    bold: bool = False
    align: str = "left"  # left | center | right
    lines: tuple[str, ...] = ()  # the wrapped lines as drawn

    def to_dict(self) -> dict:
        data = asdict(self)
        data["lines"] = list(self.lines)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TextBox:
        return cls(**{**data, "lines": tuple(data.get("lines", ()))})


@dataclass
class Theme:
    """The colours and images a template gives a slide (from the batch's template snapshot)."""

    background: str = "#ffffff"
    primary: str = "#1f3a5f"  # titles, shapes
    accent: str = "#e07a24"  # numbers, highlights
    text: str = "#1b1b1b"  # body text
    muted: str = "#6b7280"  # secondary text, rules
    reference_image: Image.Image | None = None
    style: str = ""
    # The template's font names (its `fonts` "title" and "body"; "": the default face).
    title_font: str = ""
    body_font: str = ""
    # The batch's own images: a logo drawn in a corner of every page (RGBA), a cover photo.
    logo: Image.Image | None = None
    photo: Image.Image | None = None

    @classmethod
    def from_palette(
        cls,
        palette: list[str],
        *,
        reference_image: Image.Image | None = None,
        style: str = "",
        fonts: dict | None = None,
    ) -> Theme:
        """palette: [background, primary, accent, text, muted]; missing entries keep defaults.
        fonts: the template's {"title": ..., "body": ...}."""
        names = ("background", "primary", "accent", "text", "muted")
        values = {name: colour.lower() for name, colour in zip(names, palette, strict=False)}
        fonts = fonts or {}
        return cls(
            **values,
            reference_image=reference_image,
            style=style,
            title_font=str(fonts.get("title") or ""),
            body_font=str(fonts.get("body") or ""),
        )


@dataclass
class RenderResult:
    image: Image.Image  # RGB, exactly the requested size
    boxes: list[TextBox] = field(default_factory=list)
    safe_box: tuple[int, int, int, int] = (0, 0, 0, 0)  # x0, y0, x1, y1 where text may go
    layout: str = ""  # the layout actually used, e.g. "steps", "grid", "two_column"
    overflow: bool = False  # True when text could not fit even at the smallest font size
    font_scale: float = 1.0


def page_texts(plan: dict) -> list[str]:
    """Every text a page shows, in reading order: title, subtitle, then each item's title and text."""
    texts = [plan.get("title", ""), plan.get("subtitle", "")]
    for item in plan.get("items", []):
        texts += [item.get("title", ""), item.get("text", "")]
    return [text for text in texts if text]

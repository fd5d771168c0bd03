"""The accessibility standard slides are drawn to and judged by: WCAG 2.x contrast and text sizes.

The renderer (`generation/render/`) picks text colours and sizes by these rules and the quality
checks (`generation/quality/image_checks.py`) score rendered slides by them: both import this
module, neither imports the other.

- Relative luminance as WCAG 2.2 defines it, with the sRGB threshold 0.04045
  (https://w3c.github.io/wcag/guidelines/relative-luminance.html). The older 0.03928 gives the
  same value for every 8-bit channel: none lies between 0.03928 x 255 = 10.02 and
  0.04045 x 255 = 10.31.
- AA minimum contrast: 4.5 for normal text, 3.0 for large text.
- Large text: at least 24 pt, or bold and at least 18.67 pt. WCAG's "18 pt, or 14 pt bold" are
  24 and 18.67 CSS pixels; taking these figures as slide points is the stricter reading.
- Smallest text on a slide: 24 pt for titles, 18 pt for everything else.
"""

from __future__ import annotations

AA_CONTRAST = 4.5
AA_CONTRAST_LARGE = 3.0
LARGE_PT = 24.0
LARGE_BOLD_PT = 18.67
MIN_TITLE_PT = 24.0
MIN_BODY_PT = 18.0


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: tuple[int, ...]) -> float:
    """WCAG relative luminance (0 for black, 1 for white) of an 8-bit sRGB colour."""
    red, green, blue = (_linear(channel) for channel in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: tuple[int, ...], second: tuple[int, ...]) -> float:
    """WCAG contrast ratio of two 8-bit sRGB colours (1 to 21)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def is_large_text(pt: float, *, bold: bool) -> bool:
    return pt >= LARGE_PT or (bold and pt >= LARGE_BOLD_PT)


def required_contrast(pt: float, *, bold: bool) -> float:
    """The AA contrast a text of `pt` points needs."""
    return AA_CONTRAST_LARGE if is_large_text(pt, bold=bold) else AA_CONTRAST


def min_font_pt(role: str) -> float:
    """The smallest size, in points, a text box of `role` may have."""
    return MIN_TITLE_PT if role == "title" else MIN_BODY_PT

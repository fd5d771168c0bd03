"""The batch's logo in the bottom-right corner of every page, in the margin outside the safe
area where no text goes, on a small plate that sets it off: white under a dark logo, near
black under a light one, so it reads on any page."""

from __future__ import annotations

from PIL import Image, ImageStat

from generation.render.canvas import Slide
from generation.render.shapes import fill

HEIGHT = 0.042  # of the slide height: the logo's height at most
MAX_ASPECT = 4.0  # a wide logo is held to this many times its height
INSET = 0.016  # of the slide height: from the bottom and right edges, and the plate's padding


def place_logo(slide: Slide) -> None:
    """Draw the theme's logo (if any) in the bottom-right corner."""
    logo = slide.theme.logo
    if logo is None or not slide.draws:
        return
    height = max(8, slide.vunit(HEIGHT))
    scaled = logo.convert("RGBA")
    scaled.thumbnail((round(height * MAX_ASPECT), height), Image.Resampling.LANCZOS)
    inset = slide.vunit(INSET)
    pad = max(2, inset // 3)
    right, bottom = slide.w - inset, slide.h - inset
    left, top = right - scaled.width, bottom - scaled.height
    plate = (left - pad, top - pad, right + pad, bottom + pad)
    fill(slide, plate, _plate_colour(scaled), radius=pad, alpha=0.9)
    slide.image.paste(scaled, (left, top), scaled)


def _plate_colour(logo: Image.Image) -> str:
    """White under a logo whose visible pixels are mostly dark, else near black."""
    lightness, alpha = logo.convert("LA").split()
    mean = ImageStat.Stat(lightness, mask=alpha.point(lambda a: 255 if a > 127 else 0)).mean
    return "#ffffff" if not mean or mean[0] < 160 else "#1b1b1b"

"""How the text regions found on a slide (regions.find_regions) are prepared for reading:
which of them are read at all, each one's text and background colours, its size as a text
box to crop and scale (slide_check reads them; ocr crops them), and which two are read joined
when a line through them fails."""

from __future__ import annotations

import itertools
import statistics

import numpy as np

from generation.quality.ocr import RGB

# DOT_SHARE: ink no wider and no taller than this share of the median height is a dot: such a
# region is not read (readable), and such a run reads as the separator a planned line has
# there (slide_check's SEPARATORS and Reading); regions splits such a dot off its line.
from generation.quality.regions import DOT_SHARE, ROW_OVERLAP, Region
from generation.slides import TextBox

RING_PX = 4  # the background colour is the median of a ring this wide around a region
TEXT_SHARE = 0.1  # the text colour: median of this share of the region's pixels farthest from it
SOLID_SHARE = 0.55  # a region with more of its pixels nearer the text colour is a shape
# A region no taller than this share of the median line height holds no character (a lowercase
# Latin word with no ascender is about half a line, a section page's "Part 2" 0.42 of its
# median): not read, see readable.
LOW_SHARE = 0.35
JOIN_EM = 1.0  # two regions of a failing line this close on a row are read joined too


def readable(regions: list[Region]) -> list[Region]:
    """The regions that can hold a character: not lower than LOW_SHARE of the median line
    height (accent bars, rules' remains) and not a dot (no wider and no taller than DOT_SHARE of
    it: bullets). Read with the text, they read "ae", "@" or "名" and changed what chi_sim read
    in the other crops of the call (替代 read 蔡代 in one mode with them, 替代 without); a
    line's own dots and separators fold away. The region's own height, not a line's: a lone 元
    or 二 counts as two lines of half its height."""
    if not regions:
        return regions
    median = statistics.median(region.h / region.lines for region in regions)
    return [
        region
        for region in regions
        if region.h > LOW_SHARE * median and max(region.w, region.h) > DOT_SHARE * median
    ]


def region_box(region: Region) -> TextBox:
    """A region as a text box to crop and scale: its ink height a line stands for the font
    size (a paragraph of 12 lines read at the scale of one made its lines 12 times too small)."""
    font_px = round(region.h / region.lines)
    return TextBox("region", "", region.x, region.y, region.w, region.h, font_px, "#000000")


def region_ink(pixels: np.ndarray, region: Region) -> tuple[RGB, RGB] | None:
    """(text colour, background colour) of a region: the background is the median of a ring
    around it, the text the median of the pixels inside farthest from that. None for a solid
    shape (most of its pixels nearer the text colour)."""
    height, width = pixels.shape[:2]
    x0, y0 = max(region.x - RING_PX, 0), max(region.y - RING_PX, 0)
    x1, y1 = min(region.right + RING_PX, width), min(region.bottom + RING_PX, height)
    outer = pixels[y0:y1, x0:x1].reshape(-1, 3)
    inner = pixels[region.y : region.bottom, region.x : region.right].reshape(-1, 3)
    ring = np.ones((y1 - y0, x1 - x0), dtype=bool)
    ring[region.y - y0 : region.bottom - y0, region.x - x0 : region.right - x0] = False
    background = np.median(outer[ring.reshape(-1)], axis=0) if ring.any() else inner[0]
    far = np.abs(inner.astype(np.int16) - background).sum(axis=1)
    count = max(round(len(far) * TEXT_SHARE), 1)
    text = np.median(inner[np.argsort(far)[-count:]], axis=0)
    nearer_text = np.abs(inner - text).sum(axis=1) < np.abs(inner - background).sum(axis=1)
    if nearer_text.mean() > SOLID_SHARE:
        return None
    return _rgb(text), _rgb(background)


def _rgb(values: np.ndarray) -> RGB:
    red, green, blue = (round(float(v)) for v in values)
    return red, green, blue


def joined_regions(
    regions: list[Region], chains: list[list[int]]
) -> list[tuple[Region, tuple[int, int]]]:
    """Each two regions one after the other in a chain (of region indices) that lie side by
    side on a row, at most JOIN_EM of their height apart, as one region (with the pair): a
    stroke too faint for the ink mask (the 一 of a light serif 第一部分 on a degraded slide)
    leaves a gap that cuts its line in two there."""
    joined: dict[Region, tuple[int, int]] = {}
    for chain in chains:
        for a, b in itertools.pairwise(chain):
            s, t = regions[a], regions[b]
            beside = (
                a != b
                and t.x >= s.right - 2
                and (min(s.bottom, t.bottom) - max(s.y, t.y)) >= ROW_OVERLAP * min(s.h, t.h)
            )
            if beside and t.x - s.right <= JOIN_EM * max(s.h, t.h):
                top, bottom = min(s.y, t.y), max(s.bottom, t.bottom)
                union = Region(s.x, top, t.right - s.x, bottom - top, max(s.lines, t.lines))
                joined.setdefault(union, (a, b))
    return list(joined.items())

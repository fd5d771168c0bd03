"""Where the text is on a slide that came without text boxes (image-model output).

The slide is reduced to half size and turned into an ink mask: pixels where the colour changes
sharply within one pixel (glyph edges; soft textures, gradients and JPEG noise do not). Long
straight runs of lone ink (card borders, rules, connector lines, accent bars; not the strokes of
glyphs, which have more of the glyph above and below them) are taken out with the
pixels next to them (a bar's end caps), and so are edges that run on down the slide further than
any line of text is tall (diagonal bands, large circles). A recursive cut then splits the mask
at blank rows (lines of text; bands thinner than a line join their neighbour)
and, inside one band of rows, at blank columns wider than a share of the band's height
(columns, cards, a badge before its text, the gap after a full-width comma), until nothing
splits: each leaf is a region. Regions too thin or too large to be text are dropped.

Boxes of text (slide_check's runs) are linked the way text is read (links): to the nearest box
to the right on the same row, and below, into the same column (a wrapped line goes on there).
slide_check matches a planned line to a chain of whole boxes along these links (chains).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

SCALE = 2  # the mask is computed at 1/SCALE of the slide size
INK_STEP = 40  # a colour change (max over R, G, B) between neighbouring pixels that marks ink
RULE_PX = 36  # straight runs of ink at least this long (half-size pixels) are rules, not text
RULE_MARGIN_PX = 2  # ink this close to a long rule goes with it (the end caps of an accent bar)
LONG_RULE_PX = 60  # ... a rule this long (glyphs whose strokes line up make shorter ones)
NEAR_PX, NEAR_SPAN = 2, 4  # ink 2-6 rows above and below a run's pixel: glyphs, not a rule
TALL_PX = 80  # edges running on down this far (half-size pixels: two lines of 72 px) are shapes
CAP_GAP_PX = 2  # a band of rows thinner than MIN_HEIGHT_PX this close to another joins it
GAP_SHARE = 0.45  # blank columns this share of the band height split a band ...
GAP_MIN_PX, GAP_MAX_PX = 5, 12  # ... at least and at most this wide (half-size pixels)
MIN_HEIGHT_PX = 6  # half-size pixels: lower leaves are rules, corners or noise
DOT_SHARE = 0.4  # ink no wider and no taller than this share of its band's height is a dot
BADGE_SHARE = 1.25  # a mark this many times as tall as the text after it is a badge (see _cut)
BAR_SHARE = 0.2  # ... and one no wider than this share of its height is an accent bar
MAX_AREA_SHARE = 0.12  # leaves larger than this share of the slide a line are pictures
# Lines of text whose descenders and ascenders touch leave no blank row between them (a bold
# serif paragraph); a run of rows with ink on at most WEAK_SHARE of the leaf's fullest row,
# with rows of at least CORE_SHARE of it above and below, is the gap between two such lines.
WEAK_SHARE, CORE_SHARE = 0.05, 0.5
ROW_OVERLAP = 0.5  # regions on one row overlap vertically by this share of the lower one
RIGHT_GAP_EM = 2.5  # the next region on a row is at most this many heights to the right
DOWN_GAP_EM = 1.0  # the next row is at most this many heights below
MAX_CHAINS = 2000  # chains() stops after this many from one start (sample slides: at most 40)


@dataclass(frozen=True)
class Region:
    """A run of text on one line or a few close ones (lines: how many), in slide pixels."""

    x: int
    y: int
    w: int
    h: int
    lines: int = 1

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def shared_area(self, other: Region) -> int:
        """The pixels this region and other both cover (0 when they do not overlap)."""
        across = min(self.right, other.right) - max(self.x, other.x)
        down = _row_overlap(self, other)
        return across * down if across > 0 and down > 0 else 0


def find_regions(rgb: Image.Image) -> list[Region]:
    """The text regions of a slide, top to bottom, left to right."""
    mask = _without_rules(_ink_mask(rgb))
    leaves: list[tuple[int, int, int, int]] = []
    _cut(mask, (0, 0, mask.shape[1], mask.shape[0]), leaves)
    limit = MAX_AREA_SHARE * mask.size
    regions = [
        Region(x0 * SCALE, y0 * SCALE, (x1 - x0) * SCALE, (y1 - y0) * SCALE, lines)
        for x0, y0, x1, y1 in leaves
        if y1 - y0 >= MIN_HEIGHT_PX and x1 - x0 >= 2
        for lines in [text_lines(mask[y0:y1, x0:x1])]
        if (x1 - x0) * (y1 - y0) <= limit * lines
    ]
    return sorted(regions, key=lambda r: (r.y, r.x))


def text_lines(mask: np.ndarray) -> int:
    """How many lines of text a leaf of the mask holds: one, and one more for each run of
    nearly blank rows (WEAK_SHARE) between fuller ones (CORE_SHARE). A line's own profile
    never drops that low between its fullest rows (the ascenders and descenders of Latin
    letters lie outside them; a CJK line's strokes cross every row); the blank rows inside a
    glyph (二, 三) make a leaf of one glyph look like two lines at most."""
    rows = mask.sum(axis=1)
    peak = rows.max() if rows.size else 0
    count, apart = 0, True  # lines seen; whether a nearly blank row came since the last
    for ink in rows.tolist():
        if ink >= CORE_SHARE * peak and apart:
            count, apart = count + 1, False
        elif ink <= WEAK_SHARE * peak:
            apart = True
    return max(count, 1)


def links(regions: list[Region]) -> list[list[int]]:
    """For each region, the regions text may continue in: the next on its row; below it, and
    below the row it ends (from each region before it on the row to it), see _below. The row
    can run on across cards side by side, so a wrap below the region's own card is found from
    that card's first region, not only from the row's."""
    rights = [_right_of(regions, s) for s in regions]
    before: dict[int, int] = {}  # the region just left of each one on its row
    for i in sorted(range(len(regions)), key=lambda i: regions[i].x):
        if rights[i] is not None:
            before.setdefault(rights[i], i)
    following = []
    for i, s in enumerate(regions):
        nexts = [rights[i]] if rights[i] is not None else []
        lefts, j = [s.x], i
        while j in before and len(lefts) <= len(regions):
            j = before[j]
            lefts.append(regions[j].x)
        for left in dict.fromkeys(lefts):
            nexts.extend(j for j in _below(regions, s, left) if j not in nexts)
        following.append(nexts)
    return following


def _below(regions: list[Region], s: Region, left: int) -> list[int]:
    """Where text goes on below s (its row spanning left..s.right): the nearest region below
    that overlaps the span, and the first of that region's row (a left-aligned wrap goes on
    there, a centred one under the middle)."""
    below = [
        j
        for j, t in enumerate(regions)
        if t.y >= s.y + s.h / 2
        and t.y - s.bottom <= DOWN_GAP_EM * max(s.h, t.h)
        and min(s.right, t.right) > max(left, t.x)
    ]
    if not below:
        return []
    top = min(below, key=lambda j: (regions[j].y, regions[j].x))
    row = [j for j in below if _row_overlap(regions[top], regions[j]) > 0]
    return list(dict.fromkeys((min(row, key=lambda j: regions[j].x), top)))


def _right_of(regions: list[Region], s: Region) -> int | None:
    """The nearest region to the right of s on its row, close enough to go on in."""
    right = [
        i
        for i, t in enumerate(regions)
        if t.x >= s.right - 2
        and _row_overlap(s, t) >= ROW_OVERLAP * min(s.h, t.h)
        and t.x - s.right <= RIGHT_GAP_EM * max(s.h, t.h)
    ]
    return min(right, key=lambda i: regions[i].x) if right else None


def chains(
    following: list[list[int]],
    sizes: list[int],
    *,
    start: int,
    limit: int,
    viable: Callable[[tuple[int, ...]], bool] | None = None,
) -> Iterator[tuple[int, ...]]:
    """The chains of linked regions from start whose text (sizes: compared characters per
    region) does not exceed limit before their last region, the first links first (on along
    the row before down); with viable, only chains that are viable are found or go on; at
    most MAX_CHAINS."""
    stack, found = [((start,), sizes[start])], 0
    while stack and found < MAX_CHAINS:
        chain, size = stack.pop()
        if viable is not None and not viable(chain):
            continue
        found += 1
        yield chain
        if size >= limit:
            continue
        for nxt in reversed(following[chain[-1]]):
            if nxt not in chain:
                stack.append(((*chain, nxt), size + sizes[nxt]))


def _ink_mask(rgb: Image.Image) -> np.ndarray:
    """True where the colour steps sharply to a neighbouring pixel (half size)."""
    half = np.asarray(rgb.reduce(SCALE), dtype=np.int16)
    across = np.abs(np.diff(half, axis=1)).max(axis=2) >= INK_STEP
    down = np.abs(np.diff(half, axis=0)).max(axis=2) >= INK_STEP
    mask = np.zeros(half.shape[:2], dtype=bool)
    mask[:, 1:] |= across
    mask[:, :-1] |= across
    mask[1:] |= down
    mask[:-1] |= down
    return mask


def _without_rules(mask: np.ndarray) -> np.ndarray:
    """The mask less its straight runs of RULE_PX or more, across and down, and the ink within
    RULE_MARGIN_PX of those of LONG_RULE_PX or more; less the edges that run on down further
    than TALL_PX."""
    across, down = _lone(mask), _lone(mask.T).T
    rules = _long_runs(across, RULE_PX) | _long_runs(down.T, RULE_PX).T
    long_rules = _long_runs(across, LONG_RULE_PX) | _long_runs(down.T, LONG_RULE_PX).T
    return mask & ~rules & ~_grown(long_rules, RULE_MARGIN_PX) & ~_tall(mask)


def _lone(mask: np.ndarray) -> np.ndarray:
    """The ink without ink both above and below it (NEAR_PX rows off, then up to NEAR_SPAN
    more): what a rule is made of. The horizontal strokes of glyphs side by side can line up
    into a long run (第一步), but there is more of the glyphs above and below them."""
    rows = np.cumsum(np.pad(mask, ((1, 0), (0, 0))), axis=0, dtype=np.int32)
    height = mask.shape[0]
    y = np.arange(height)[:, None]

    def ink_between(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
        top, bottom = np.clip(top, 0, height), np.clip(bottom, 0, height)
        columns = np.arange(mask.shape[1])[None, :]
        return (rows[bottom, columns] - rows[top, columns]) > 0

    above = ink_between(y - NEAR_PX - NEAR_SPAN, y - NEAR_PX + 1)
    below = ink_between(y + NEAR_PX, y + NEAR_PX + NEAR_SPAN + 1)
    return mask & ~(above & below)


def _grown(mask: np.ndarray, margin: int) -> np.ndarray:
    """The mask grown by margin pixels in every direction (a square around each pixel)."""
    grown = mask.copy()
    for _ in range(margin):
        grown[1:] |= grown[:-1].copy()
        grown[:-1] |= grown[1:].copy()
        grown[:, 1:] |= grown[:, :-1].copy()
        grown[:, :-1] |= grown[:, 1:].copy()
    return grown


def _tall(mask: np.ndarray) -> np.ndarray:
    """Pixels on a chain of ink going down row by row (a step of at most one pixel sideways)
    over TALL_PX rows or more: the edge of a diagonal band or a large circle. A glyph's edges
    end within its line, and lines of text are apart."""
    down, up = _chain_lengths(mask[::-1])[::-1], _chain_lengths(mask)
    return up + down - 1 >= TALL_PX


def _chain_lengths(mask: np.ndarray) -> np.ndarray:
    """For each pixel, the length of the longest chain of ink ending there from above."""
    lengths = np.zeros(mask.shape, dtype=np.int32)
    previous = np.zeros(mask.shape[1], dtype=np.int32)
    for y, row in enumerate(mask):
        reach = previous.copy()
        reach[1:] = np.maximum(reach[1:], previous[:-1])
        reach[:-1] = np.maximum(reach[:-1], previous[1:])
        previous = np.where(row, reach + 1, 0)
        lengths[y] = previous
    return lengths


def _long_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels in a horizontal run of at least length ink pixels."""
    if mask.shape[1] < length:
        return np.zeros_like(mask)
    sums = np.cumsum(np.pad(mask, ((0, 0), (1, 0))), axis=1, dtype=np.int32)
    full = (sums[:, length:] - sums[:, :-length]) == length  # window starting at each x
    # A pixel is covered when a full window starts within length - 1 pixels left of it.
    padded = np.pad(full, ((0, 0), (length, length - 1)))
    starts = np.cumsum(padded, axis=1, dtype=np.int32)
    return (starts[:, length:] - starts[:, :-length]) > 0


def _cut(mask: np.ndarray, box: tuple[int, int, int, int], out: list) -> None:
    """Split box at blank rows, then a single band at wide blank columns; leaves to out."""
    x0, y0, x1, y1 = box
    bands = _lines(_runs(mask[y0:y1, x0:x1].any(axis=1), 1))
    if len(bands) > 1:
        for top, bottom in bands:
            _cut(mask, (x0, y0 + top, x1, y0 + bottom), out)
        return
    if not bands:
        return
    y0, y1 = y0 + bands[0][0], y0 + bands[0][1]
    gap = min(max(round(GAP_SHARE * (y1 - y0)), GAP_MIN_PX), GAP_MAX_PX)
    columns = mask[y0:y1, x0:x1].any(axis=0)
    pieces = _runs(columns, gap)
    if len(pieces) == 1:
        pieces = _after_dot(mask, (x0, y0, x1, y1), columns)
        if len(pieces) == 1 and pieces[0][0] > np.argmax(columns):  # a bar left out: the rest
            _cut(mask, (x0 + pieces[0][0], y0, x0 + pieces[0][1], y1), out)  # at its own height
            return
    if len(pieces) == 1:
        pieces = _beside_lines(mask, (x0, y0, x1, y1), columns)
    if len(pieces) > 1:
        for left, right in pieces:
            _cut(mask, (x0 + left, y0, x0 + right, y1), out)
        return
    out.append((x0 + pieces[0][0], y0, x0 + pieces[0][1], y1))


def _after_dot(
    mask: np.ndarray, box: tuple[int, int, int, int], columns: np.ndarray
) -> list[tuple[int, int]]:
    """A band that did not split: a mark before its text split off at a gap of GAP_MIN_PX or
    more, the rest left whole. A dot (a bullet: DOT_SHARE of the band's height at most, both
    ways) or a badge (about as wide as tall and BADGE_SHARE taller than the text after it, a
    numbered circle) stands closer to its text than the usual gap; read in one crop with it, a
    bold 吞吐 read 香吐, 知吐, 理吐, and beside a badge a line was read at the badge's height
    (快 read 业, Q&A read "oxa"). Neither is a character of the line, so no text is cut; an
    accent bar (_bar) is dropped."""
    x0, y0, _, y1 = box
    pieces = _runs(columns, GAP_MIN_PX)
    if len(pieces) < 2:
        return pieces
    (left, right), rest = pieces[0], (pieces[1][0], pieces[-1][1])
    mark, text = _ink_rows(mask, x0, y0, y1, pieces[0]), _ink_rows(mask, x0, y0, y1, rest)
    dot = max(right - left, mark) <= DOT_SHARE * (y1 - y0)
    badge = abs((right - left) - mark) <= mark / 4 and mark >= BADGE_SHARE * text
    if _bar(right - left, mark, text):
        return [rest]
    return [pieces[0], rest] if dot or badge else [(left, rest[1])]


def _bar(width: int, height: int, text: int) -> bool:
    """A mark before a line's text is an accent bar: no wider than BAR_SHARE of its height and
    BADGE_SHARE taller than the text after it (a card's coloured edge beside its title, too
    thick for a rule). Read with the text it was "|", an inserted character (slide 525 of the
    bench: "| Ship small, ship often"); no character is that thin and taller than its line
    ("I", "l", "1" are as tall as their line), so it is left out of the region."""
    return width <= BAR_SHARE * height and height >= BADGE_SHARE * text


def _ink_rows(mask: np.ndarray, x0: int, y0: int, y1: int, span: tuple[int, int]) -> int:
    """How many rows the ink of a band's columns span covers, top to bottom."""
    rows = np.flatnonzero(mask[y0:y1, x0 + span[0] : x0 + span[1]].any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def _beside_lines(
    mask: np.ndarray, box: tuple[int, int, int, int], columns: np.ndarray
) -> list[tuple[int, int]]:
    """A band that did not split: cut at its widest blank gap of GAP_MIN_PX or more after which
    a side splits into lines. A badge beside an item's title and text reaches into both lines
    and joins them into one band too tall for the usual gap (GAP_SHARE of its height) to split
    off the badge; one line of text never splits into lines, so it is left whole."""
    x0, y0, _, y1 = box
    pieces = _runs(columns, 1)
    whole = [(pieces[0][0], pieces[-1][1])] if pieces else []
    gaps = sorted(
        ((pieces[k + 1][0] - pieces[k][1], k) for k in range(len(pieces) - 1)), reverse=True
    )
    for width, k in gaps:
        if width < GAP_MIN_PX:
            break
        sides = [(pieces[0][0], pieces[k][1]), (pieces[k + 1][0], pieces[-1][1])]
        for left, right in sides:
            if len(_lines(_runs(mask[y0:y1, x0 + left : x0 + right].any(axis=1), 1))) > 1:
                return sides
    return whole


def _lines(bands: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Bands of rows with the thin ones (lower than MIN_HEIGHT_PX) joined to a neighbour at
    most CAP_GAP_PX away: strokes that stand apart (the dot of 问, the bars of 三) are no line."""
    out: list[tuple[int, int]] = []
    for top, bottom in bands:
        if out:
            last_top, last_bottom = out[-1]
            thin = bottom - top < MIN_HEIGHT_PX or last_bottom - last_top < MIN_HEIGHT_PX
            if thin and top - last_bottom <= CAP_GAP_PX:
                out[-1] = (last_top, bottom)
                continue
        out.append((top, bottom))
    return out


def _runs(flags: np.ndarray, min_gap: int) -> list[tuple[int, int]]:
    """(start, end) of the runs of True, joined across gaps narrower than min_gap."""
    idx = np.flatnonzero(flags)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > min_gap)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _row_overlap(a: Region, b: Region) -> int:
    return min(a.bottom, b.bottom) - max(a.y, b.y)

"""A failing line read again, region by region: each region's part of the line may come from a
different reading.

A planned line often spans several regions (a wrapped paragraph's rows, an item's text beside
its title). Each reading (the first, at another scale, in other modes) can misread a different
character in a different region: on a sample slide 代替 read 蔡代 in the row that holds it at
1.0 of the size and 1.7 across, while the next row read 离开 as 高开 at 0.6 and 1.0. Held to one
reading for the whole line, the line failed though every row was read right at least once.

So the line passes when it is, exactly, the regions' readings put together in the order some
reading's chain went through them, each region read in one of its readings (Piece): the same
standard as a whole line (a wrong character drawn on the slide must be misread as the planned
one in that region's reading), region by region. A piece from a mode that squeezes or shrinks
the glyphs (`later`) counts only with no fewer characters than the first reading found in that
region: such a mode can drop the character inserted into a line and read the rest exactly.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from generation.quality.ocr import join_words
from generation.quality.textdiff import fold


@dataclass(frozen=True)
class Piece:
    """The part of a line one reading found in one region: box (the region's index), text (as
    read), later (from a reading held to no fewer characters than the first, see the module)."""

    box: int
    text: str
    later: bool = False


def pieces(boxes: Sequence[int], texts: Sequence[str], *, later: bool = False) -> list[Piece]:
    """A chain's runs (their regions' indices and texts, in the chain's order) as one piece per
    region: consecutive runs of one region joined."""
    found: list[Piece] = []
    for box, text in zip(boxes, texts, strict=True):
        if found and found[-1].box == box:
            found[-1] = Piece(box, join_words((found[-1].text, text)), later)
        else:
            found.append(Piece(box, text, later))
    return [piece for piece in found if fold(piece.text)]


def combined(
    expected: str, readings: Sequence[Sequence[Piece]], need: Collection[int] = ()
) -> str | None:
    """The line put together from the readings' pieces that reads exactly as expected (see the
    module), else None. readings: each reading's pieces of the line, the first reading first;
    need: regions the line must go through (all those read in a box's area: it holds only
    its line)."""
    target = fold(expected)
    first = {piece.box: len(fold(piece.text)) for piece in readings[0]} if readings else {}
    options: dict[int, list[str]] = {}
    for reading in readings:
        for piece in reading:
            if piece.later and len(fold(piece.text)) < first.get(piece.box, 0):
                continue
            if piece.text not in options.setdefault(piece.box, []):
                options[piece.box].append(piece.text)
    orders = dict.fromkeys(tuple(piece.box for piece in reading) for reading in readings)
    for order in orders:
        if order and set(need) <= set(order):
            text = _spelled(target, order, options)
            if text is not None:
                return text
    return None


def _spelled(target: str, order: Sequence[int], options: dict[int, list[str]]) -> str | None:
    """The texts, one of each region's options in order, that fold to exactly target, else
    None (the positions in target reachable after each region, with the text that got there)."""
    reached = {0: ""}
    for box in order:
        after: dict[int, str] = {}
        for at, so_far in reached.items():
            for text in options.get(box, ()):
                part = fold(text)
                if target.startswith(part, at) and at + len(part) not in after:
                    after[at + len(part)] = join_words((so_far, text)) if so_far else text
        reached = after
        if not reached:
            return None
    return reached.get(len(target))

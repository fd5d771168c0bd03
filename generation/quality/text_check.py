"""Is the planned text on the slide? Every line of the page plan against what OCR reads.

The expected text is the plan's (title, subtitle, each item's title and text, each child),
never the renderer's own boxes: a renderer that drops, truncates or changes a line is caught.
With boxes (local renders) the boxes only say where to read: each planned line is matched to
the box that carries its text, else (the box text differs from the plan) to the unclaimed box
whose reading is closest. A line fails at one edit after folding look-alikes (textdiff.fold);
a failing line is read once more at another scale (one tesseract call for all of them) and
fails only when that reading is wrong too (and, for lines of one or two characters, reads the
same) and a third call, reading the boxes still wrong in five more modes at once (ocr.MODES:
1.7 and 0.8 of the size, wider, taller, narrower), has no reading that matches it exactly; so
an OCR slip on a clean slide is not a failure; a line that passes on a later reading keeps that
reading and the distance it has (0). A line without a box (fewer items
shown than planned) fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image

from generation.quality.ocr import (
    RGB,
    THIRD_READING,
    join_words,
    read_boxes,
    read_variants,
    reread_boxes,
)
from generation.quality.textdiff import Comparison, compare, fold, normalize
from generation.slides import TextBox

SHORT_LINE_CHARS = 2
# A box at least this many font sizes tall holds a line wrapped onto several rows: read row by
# row (by_rows) when every reading of it as a whole is wrong.
ROWS_EM = 1.8
Inked = tuple[TextBox, tuple[RGB, RGB]]  # a box with its (text colour, background colour)


@dataclass(frozen=True)
class Line:
    role: str  # title | subtitle | item_title | item_text
    text: str


@dataclass(frozen=True)
class LineResult:
    role: str
    expected: str  # the planned text
    got: str  # what was read for it ("" when nothing on the slide carries it)
    comparison: Comparison
    failed: bool

    def to_dict(self) -> dict:
        return {
            "role": self.role,
            "expected": self.expected,
            "got": self.got,
            "distance": self.comparison.distance,
            "cer": self.comparison.cer,
            "diff": self.comparison.diff,
            "failed": self.failed,
        }


def plan_lines(plan: dict) -> list[Line]:
    """Every line a page plan asks for, in reading order (lines without letters or digits left out)."""
    return [line for _, line in plan_slots(plan)]


def plan_slots(plan: dict) -> list[tuple[tuple, Line]]:
    """plan_lines() with where each line sits in the plan: ("title",), ("items", 0, "text"),
    ("items", 0, "children", 1) ..."""
    slots = [(("title",), Line("title", plan.get("title") or ""))]
    slots.append((("subtitle",), Line("subtitle", plan.get("subtitle") or "")))
    for i, item in enumerate(plan.get("items") or ()):
        if not isinstance(item, dict):
            continue
        slots.append((("items", i, "title"), Line("item_title", item.get("title") or "")))
        slots.append((("items", i, "text"), Line("item_text", item.get("text") or "")))
        for j, child in enumerate(item.get("children") or ()):
            slots.append((("items", i, "children", j), Line("item_text", str(child))))
    return [
        (path, Line(line.role, line.text.strip())) for path, line in slots if normalize(line.text)
    ]


def box_lines(boxes: Sequence[TextBox]) -> list[Line]:
    """The renderer's own texts as lines, for callers without a plan."""
    return [Line(box.role, box.text) for box in boxes if normalize(box.text)]


def check_boxes(
    rgb: Image.Image,
    inked: Sequence[Inked],
    lines: Sequence[Line],
    languages: str,
    *,
    reread_languages: str,
    by_rows: Callable[[TextBox, Line], LineResult] | None = None,
) -> list[LineResult]:
    """Each planned line against the OCR reading of its box.

    by_rows: the result of a line read row by row in its box (as slides without boxes are
    read, slide_check), for lines wrapped onto several rows that every reading of the box as
    a whole finds wrong: one crop of five rows read 缓存 as 组存 in all seven readings, and its
    rows read one by one were right. The line passes only when that reading is exact too.

    languages: for the first reading (those that fit the text); reread_languages: for the
    second when a failing line has Latin letters (all requested: chi_sim+eng rereads "Supply
    chain" that chi_sim read "chaim"; it costs about twice as much as chi_sim alone).
    """
    planned = {fold(line.text) for line in lines}
    # Badges the renderer numbers on its own ("01", "3") are not planned text: not read.
    inked = [(box, ink) for box, ink in inked if box.role != "number" or fold(box.text) in planned]
    boxes, inks = [box for box, _ in inked], [ink for _, ink in inked]
    texts = read_boxes(rgb, boxes, inks, languages) if boxes else []
    owners = _assign(lines, boxes, texts)
    results = [
        _result(line, texts[owner] if owner is not None else "")
        for line, owner in zip(lines, owners, strict=True)
    ]
    again = [i for i, result in enumerate(results) if result.failed and owners[i] is not None]
    if again:
        chosen = [owners[i] for i in again]
        # All requested languages only where they help: Latin words in a Chinese line.
        latin = any(ch.isascii() and ch.isalpha() for i in again for ch in lines[i].text)
        second = reread_boxes(
            rgb,
            [boxes[b] for b in chosen],
            [inks[b] for b in chosen],
            reread_languages if latin else languages,
        )
        for i, text in zip(again, second, strict=True):
            if not _confirmed(lines[i].text, results[i].got, text):
                results[i] = _result(lines[i], text, failed=False)
        still = [i for i in again if results[i].failed]
        if still:
            chosen = [owners[i] for i in still]
            third = _read_in_modes(
                rgb, [inked[b] for b in chosen], [lines[i] for i in still], languages
            )
            for i, text in zip(still, third, strict=True):
                if text is not None and not_shorter(text, results[i].got):
                    results[i] = _result(lines[i], text, failed=False)
        for i in again if by_rows else ():
            box = boxes[owners[i]]
            if results[i].failed and box.h >= ROWS_EM * box.font_px:
                rows = by_rows(box, lines[i])
                results[i] = rows if not rows.failed else results[i]
    return results


def _read_in_modes(
    rgb: Image.Image, inked: Sequence[Inked], lines: Sequence[Line], languages: str
) -> list[str | None]:
    """A third reading of the boxes of lines both readings found wrong, in the other modes of
    ocr.MODES at once (as slide_check's): for each line, the first reading that matches it
    exactly, else None."""
    boxes, inks = [box for box, _ in inked], [ink for _, ink in inked]
    variants = read_variants(rgb, boxes, inks, languages, THIRD_READING)
    found: list[str | None] = []
    for k, line in enumerate(lines):
        texts = (join_words(word.text for word in words[k]) for words in variants)
        found.append(next((t for t in texts if compare(line.text, t).distance == 0), None))
    return found


def not_shorter(later: str, first: str) -> bool:
    """Whether a later reading has at least as many compared characters as the first: a mode
    that squeezes or shrinks glyphs can drop one, and a reading that dropped the character
    inserted into a line would read it exactly (人工我智能 read 人工智能 at 0.8 across)."""
    return len(fold(later)) >= len(fold(first))


def _confirmed(expected: str, first: str, second: str) -> bool:
    """Whether a second reading confirms that a line is wrong: it is wrong too, and for lines
    of one or two characters (the easiest to misread) it reads the same as the first."""
    if compare(expected, second).distance == 0:
        return False
    return len(fold(expected)) > SHORT_LINE_CHARS or fold(first) == fold(second)


def _result(line: Line, got: str, *, failed: bool | None = None) -> LineResult:
    comparison = compare(line.text, got)
    wrong = comparison.distance > 0 if failed is None else failed
    return LineResult(line.role, line.text, got, comparison, wrong)


def _assign(
    lines: Sequence[Line], boxes: Sequence[TextBox], texts: Sequence[str]
) -> list[int | None]:
    """For each line, the index of the box that shows it, or None: first the box whose source
    text is the line, then the closest reading among the boxes left (closest pairs first)."""
    owners: list[int | None] = [None] * len(lines)
    free = list(range(len(boxes)))
    for i, line in enumerate(lines):
        owner = next((b for b in free if boxes[b].text.strip() == line.text), None)
        if owner is not None:
            owners[i] = owner
            free.remove(owner)
    pairs = sorted(
        (compare(lines[i].text, texts[b]).cer, i, b)
        for i in range(len(lines))
        if owners[i] is None
        for b in free
    )
    for _, i, b in pairs:
        if owners[i] is None and b in free:
            owners[i] = b
            free.remove(b)
    return owners

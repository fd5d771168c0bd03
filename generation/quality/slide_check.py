"""Is the planned text on a slide that came without text boxes? Read region by region.

An image model's slide has no boxes to say where the text is, and reading it whole crosses
columns and cards. So the text regions are found in the image (regions.find_regions: text on
one line or a few close ones, split at columns and wide gaps); each is cropped, turned
dark-on-white by its own text and background colours and scaled like a text box, and all are
read with one tesseract call (ocr.read_words). The words of a region are split into runs at new
lines and at gaps wider than SPLIT_SHARE of a word's height (a bullet or badge before the text,
an item's title before its text on one row). Each planned line is then matched to its best
chain of whole runs along the reading links (regions.links: on along the row, down into the
same column), compared over the whole line: a chain neither starts nor stops inside a run, so
an edit at a line's end costs as much as one in its middle. Each run is read as part of one
line only (the longest lines take theirs first): a line the plan has twice must be on the
slide twice, and a short line is not found inside a longer one. A region of several lines
(a paragraph whose lines touch) is read at the size of one of its lines. The rule is the per-box path's
(text_check): a line fails at one edit after folding look-alikes; when a line fails, regions
that read empty are read once more as blocks (lone characters), and then every region no
passing line was found in is read once more at a smaller scale, then (lines still wrong) in
five more modes in one call (larger, narrower, stretched, taller, squeezed: chi_sim's misreads
change with the glyphs' size and proportions), then (lines still wrong) each of those regions
in a call of its own, and two of a failing line's regions side by side on a row joined
(_read_apart), and the failing lines are matched again in each: a line fails unless one of
those readings is right, exactly (a wrong character drawn on
the slide must be misread as the planned one to pass). (The per-box path lets a line of one or
two characters pass when two readings of its box disagree; here the two best matches need not
be the same region, and a missing lone character would pass that way.) A line with nothing read
to match fails. A run no bigger than a dot reads as the separator a planned line has ("·",
"•"), which OCR reads as "e" or "和@"; only then, and a character never is that small.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np
from PIL import Image

from generation.quality.crops import joined_regions, readable, region_box, region_ink
from generation.quality.ocr import (
    MODES,
    RGB,
    THIRD_READING,
    Word,
    read_apart,
    read_variants,
    read_words,
)
from generation.quality.pieces import Piece, combined, pieces
from generation.quality.regions import Region, find_regions
from generation.quality.runs import Reading, Run, split_runs
from generation.quality.text_check import Line, LineResult
from generation.quality.textdiff import compare, fold

# The readings of the regions no passing line was found in, one tesseract call each, while a
# line fails: at a smaller scale, then in the other modes of ocr.MODES at once.
READINGS_AGAIN = (("reread",), THIRD_READING)
APART = ("block",)  # the last reading's mode: each region read alone (_read_apart)
# The third reading's modes that make the glyphs smaller one way or both: they can drop the
# character inserted into a line (人工我智能 read 人工智能 at 0.8 across) and read the rest
# exactly, so a region's piece from them counts only with no fewer characters than the first
# reading found there (pieces.combined). Enlarged, stretched and taller readings drop none: the
# first reading's own slips (才允许 read 才人允许 on a degraded slide) must not bar them.
SHRINKING = frozenset(mode for mode in THIRD_READING if min(MODES[mode]) < 1)


def check_slide(
    rgb: Image.Image,
    lines: Sequence[Line],
    languages: str,
    *,
    reread_languages: str,
    alone: bool = False,
) -> list[LineResult]:
    """Each planned line against the reading of its best chain of text runs on the slide.

    languages: for the first reading; reread_languages: for the second when a failing line
    has Latin letters (as text_check.check_boxes). alone: the image holds one line only (a
    box's area, text_check's row-by-row reading), so a line passes only through every region
    read there: a character added at the end of a wrapped title, on a row of its own, is not
    left out of it.
    """
    pixels = np.asarray(rgb)
    regions = readable(find_regions(rgb))
    inked = [(r, ink) for r in regions if (ink := region_ink(pixels, r)) is not None]
    boxes, inks = [region_box(region) for region, _ in inked], [ink for _, ink in inked]
    words = read_words(rgb, boxes, inks, languages) if boxes else []
    runs, matches, results = _match(inked, words, lines)
    empty = [i for i, found in enumerate(words) if not found]
    if empty and any(result.failed for result in results):
        # Line-finding drops a lone character ("A", "省") and now and then a whole stack of
        # bold lines: the regions that read empty once more, as blocks.
        again = read_words(
            rgb, [boxes[i] for i in empty], [inks[i] for i in empty], languages, mode="block"
        )
        for i, found in zip(empty, again, strict=True):
            words[i] = found
        runs, matches, results = _match(inked, words, lines)
    need = frozenset(run.box for run in runs) if alone else frozenset()
    results = [
        _short(result) if need - {runs[r].box for r in chain} else result
        for result, chain in zip(results, matches, strict=True)
    ]
    # Each failing line's pieces in every reading, the first reading's first (pieces.combined).
    reading = Reading(runs)
    read = {
        i: [_pieces(reading, runs, matches[i], lines[i].text)]
        for i, result in enumerate(results)
        if result.failed
    }
    for modes in READINGS_AGAIN:
        for languages_again in _languages_again(lines, results, languages, reread_languages):
            if any(result.failed for result in results):
                first = (words, runs, matches, results)
                how = (modes, languages_again, need)
                results = _read_again(rgb, inked, lines, first, how, read)
    if not alone and any(result.failed for result in results):
        first = (words, runs, matches, results)
        results = _read_apart(rgb, inked, lines, first, languages, read)
    return results


def _short(result: LineResult) -> LineResult:
    """A result that fails: its line left out text read where only it is (check_slide's alone)."""
    return LineResult(result.role, result.expected, result.got, result.comparison, True)


def _pieces(
    reading: Reading,
    runs: Sequence[Run],
    chain: Sequence[int],
    expected: str,
    *,
    later: bool = False,
) -> list[Piece]:
    """A line's chain of runs as pieces, one per region (separator dots read as expected's)."""
    texts = [reading.text((r,), expected) for r in chain]
    return pieces([runs[r].box for r in chain], texts, later=later)


def _languages_again(
    lines: Sequence[Line], results: list[LineResult], languages: str, reread_languages: str
) -> list[str]:
    """The languages of each reading of the regions again: reread_languages when a failing
    line has Latin letters (chi_sim+eng reads "Supply chain" that chi_sim read "chaim"), and
    then languages too when a failing line has CJK characters. One failing line with Latin
    letters made every region be read in chi_sim+eng, where a Chinese title (吞吐) read as
    "+ Fil:" and "° FFIH" in every mode: the lines still failing are read in the languages that
    fit the slide as well (only they are: a line that passed stays passed)."""
    failed = [line for line, result in zip(lines, results, strict=True) if result.failed]
    latin = any(ch.isascii() and ch.isalpha() for line in failed for ch in line.text)
    if not latin or reread_languages == languages:
        return [languages]
    cjk = any(unicodedata.east_asian_width(ch) in "WF" for line in failed for ch in line.text)
    return [reread_languages, languages] if cjk else [reread_languages]


def _read_again(
    rgb: Image.Image,
    inked: list[tuple[Region, tuple[RGB, RGB]]],
    lines: Sequence[Line],
    first: tuple[list[list[Word]], list[Run], list[tuple[int, ...]], list[LineResult]],
    how: tuple[Sequence[str], str, frozenset[int]],
    read: dict[int, list[list[Piece]]],
) -> list[LineResult]:
    """The results after reading again (how: the modes of ocr.MODES, all in one call, the
    languages, and the regions a line must go through, see check_slide) every region
    with text no passing line is read in (_unsettled): a failing line passes when its regions'
    pieces, each from one of the readings so far (read: each failing line's, added to here),
    put together read it exactly (pieces.combined; a region that reads empty in a mode keeps
    its first reading)."""
    modes, languages, need = how
    chosen = _unsettled(len(inked), first)
    if not chosen:
        return first[3]
    variants = read_variants(
        rgb,
        [region_box(inked[b][0]) for b in chosen],
        [inked[b][1] for b in chosen],
        languages,
        modes,
    )
    return _matched_again(inked, lines, first, (chosen, modes, variants), need, read)


def _read_apart(
    rgb: Image.Image,
    inked: list[tuple[Region, tuple[RGB, RGB]]],
    lines: Sequence[Line],
    first: tuple[list[list[Word]], list[Run], list[tuple[int, ...]], list[LineResult]],
    languages: str,
    read: dict[int, list[list[Piece]]],
) -> list[LineResult]:
    """The results after the last reading of the lines still failing: every region with text
    no passing line is read in (_unsettled) read in a call of its own (ocr.read_apart), two
    regions a failing line's chain goes through side by side on a row as one (joined_regions),
    matched as in _read_again. What a crop reads as changes with the crops stacked with it: a
    section page's small "Part 2" read empty in every stacked reading beside its big badge
    and title, right alone; a region finder that lost a faint 一 cut 第一部分 in two, each half
    read with a piece of it ("第 -", "-部分")."""
    words, runs, matches, results = first
    failing = [
        [runs[r].box for r in matches[i]] for i, result in enumerate(results) if result.failed
    ]
    pixels = np.asarray(rgb)
    extra = [
        (region, ink, pair)
        for region, pair in joined_regions([region for region, _ in inked], failing)
        if (ink := region_ink(pixels, region)) is not None
    ]
    members = {b for _, _, pair in extra for b in pair}
    inked = inked + [(region, ink) for region, ink, _ in extra]
    chosen = [b for b in _unsettled(len(inked), first) if b not in members]
    variants = [
        read_apart(
            rgb,
            [region_box(inked[b][0]) for b in chosen],
            [inked[b][1] for b in chosen],
            languages,
        )
    ]
    first = ([*words, *([] for _ in extra)], runs, matches, results)
    return _matched_again(inked, lines, first, (chosen, APART, variants), frozenset(), read)


def _unsettled(
    count: int,
    first: tuple[list[list[Word]], list[Run], list[tuple[int, ...]], list[LineResult]],
) -> list[int]:
    """The regions (of count) not wholly read in passing lines: a region often holds an item's
    title and its text, and the text passing must not keep the title from being read again."""
    _, runs, matches, results = first
    used = {r for i, chain in enumerate(matches) if not results[i].failed for r in chain}
    done = {run.box for run in runs} - {run.box for r, run in enumerate(runs) if r not in used}
    return [b for b in range(count) if b not in done]


def _matched_again(
    inked: list[tuple[Region, tuple[RGB, RGB]]],
    lines: Sequence[Line],
    first: tuple[list[list[Word]], list[Run], list[tuple[int, ...]], list[LineResult]],
    again: tuple[list[int], Sequence[str], list[list[list[Word]]]],
    need: frozenset[int],
    read: dict[int, list[list[Piece]]],
) -> list[LineResult]:
    """The results after matching the failing lines in the readings again (again: the regions
    read, the modes and each mode's words of each), see _read_again."""
    first_words, runs, matches, results = first
    chosen, modes, variants = again
    results = list(results)
    # Where the passing lines were read: each run is read as part of one line (_best_chains).
    taken = [
        runs[r].region for i, chain in enumerate(matches) if not results[i].failed for r in chain
    ]
    for mode, words in zip(modes, variants, strict=True):
        reread, _, _ = _match(inked, _in_mode(first_words, chosen, words), [])
        reading = Reading(reread)
        for i in _longest_first(lines):
            if not results[i].failed:
                continue
            chain = reading.best(lines[i].text, _overlapping(reread, taken))
            shrunk = mode in SHRINKING
            read[i].append(_pieces(reading, reread, chain, lines[i].text, later=shrunk))
            text = combined(lines[i].text, read[i], need)
            if text is not None:
                results[i] = _result(lines[i], text)
                taken += [reread[r].region for r in chain]
    return results


def _in_mode(
    first_words: list[list[Word]], chosen: list[int], again: list[list[Word]]
) -> list[list[Word]]:
    """The words of each region in one mode: the regions read again (chosen) with their words
    there (a lone character, the end of a wrapped line, often reads empty at other scales: its
    first reading), no words for the others."""
    words: list[list[Word]] = [[] for _ in first_words]
    for b, found in zip(chosen, again, strict=True):
        words[b] = found or first_words[b]
    return words


def _overlapping(runs: Sequence[Run], regions: Sequence[Region]) -> set[int]:
    """The runs that lie mostly (over half of the smaller area) on one of the regions: the
    same text read again (the word boxes of lines one above the other can touch)."""
    return {r for r, run in enumerate(runs) if any(_same_place(run.region, o) for o in regions)}


def _same_place(a: Region, b: Region) -> bool:
    return 2 * a.shared_area(b) > min(a.w * a.h, b.w * b.h)


def _match(
    inked: list[tuple[Region, tuple[RGB, RGB]]], words: list[list[Word]], lines: Sequence[Line]
) -> tuple[list[Run], list[tuple[int, ...]], list[LineResult]]:
    """(runs, each line's best chain of runs, each line's result) from the words read."""
    runs = [run for i, (region, _) in enumerate(inked) for run in split_runs(i, region, words[i])]
    reading = Reading(runs)
    matches = _best_chains(reading, lines)
    results = [
        _result(line, reading.text(chain, line.text))
        for line, chain in zip(lines, matches, strict=True)
    ]
    return runs, matches, results


def _best_chains(reading: Reading, lines: Sequence[Line]) -> list[tuple[int, ...]]:
    """Each line's best chain of runs, each run read as part of one line only: the lines take
    their runs longest first, and a line is matched among the runs no longer line took. So a
    line the plan has twice (two cards titled 方案) must be on the slide twice, and a short line
    is not found inside a longer one (方案 as the end of the title 上线中的问题与解决方案): one
    copy read right does not pass for a garbled or missing other."""
    taken: set[int] = set()
    matches: list[tuple[int, ...]] = [()] * len(lines)
    for i in _longest_first(lines):
        matches[i] = reading.best(lines[i].text, taken)
        taken.update(matches[i])
    return matches


def _longest_first(lines: Sequence[Line]) -> list[int]:
    """The lines' indices, the longest (compared characters) first, else in plan order."""
    return sorted(range(len(lines)), key=lambda i: -len(fold(lines[i].text)))


def _result(line: Line, got: str) -> LineResult:
    comparison = compare(line.text, got)
    return LineResult(line.role, line.text, got, comparison, comparison.distance > 0)

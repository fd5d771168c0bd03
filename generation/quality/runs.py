"""The text read in a slide's regions as runs (words close together on one line of one
region) and the reading links between them: each planned line's best chain of runs (Reading).
See slide_check."""

from __future__ import annotations

import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from generation.quality.crops import DOT_SHARE
from generation.quality.ocr import Word, join_words
from generation.quality.regions import Region, chains, links
from generation.quality.textdiff import fit_distance, fold, levenshtein

SEPARATORS = frozenset("·•・∙⋅")
# A chain of runs is followed on only while each run is within this share of edits of the part
# of the planned line where it would be (so a chain that reads the line exactly always is), see
# Reading.best.
PRUNE_SHARE = 0.5
SPLIT_SHARE = 0.55  # words further apart than this share of their median height: two runs


@dataclass(frozen=True)
class Run:
    """Words read close together on one line of one region (box: the region's index;
    region: where the words are)."""

    box: int
    region: Region
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return _joined(self.words)


def split_runs(box: int, region: Region, words: list[Word]) -> list[Run]:
    """A region's words in runs: a new run at each new line (a word left of the last one or
    centred below it) and where the gap is wider than SPLIT_SHARE of the median word height (a
    bullet or badge before the text, an item's title before its text on one row)."""
    runs: list[list[Word]] = []
    gap = SPLIT_SHARE * statistics.median(word.height for word in words) if words else 0
    for word in words:
        last = runs[-1][-1] if runs else None
        if (
            last is None
            or word.left < last.left  # back to the left: the next line
            or (word.top + word.bottom) / 2 > last.bottom
            or word.left - last.right > gap
        ):
            runs.append([])
        runs[-1].append(word)
    return [Run(box, _bounds(run, region), tuple(run)) for run in runs if fold(_joined(run))]


def _bounds(words: Sequence[Word], region: Region) -> Region:
    """Where the words are, within their region (tesseract's boxes for Chinese words reach
    above and below the ink)."""
    left, right = min(word.left for word in words), max(word.right for word in words)
    top = max(min(word.top for word in words), region.y)
    bottom = min(max(word.bottom for word in words), region.bottom)
    return Region(round(left), round(top), max(round(right - left), 1), max(round(bottom - top), 1))


def _joined(words: Sequence[Word]) -> str:
    return join_words(word.text for word in words)


class Reading:
    """The runs of text read on a slide and the reading links between them."""

    def __init__(self, runs: Sequence[Run]) -> None:
        self.texts = [run.text for run in runs]
        self.folded = [fold(text) for text in self.texts]
        self.following = links([run.region for run in runs])
        limit = DOT_SHARE * statistics.median(run.region.h for run in runs) if runs else 0
        self.dots = [max(run.region.w, run.region.h) <= limit for run in runs]

    def text(self, chain: Sequence[int], expected: str = "") -> str:
        """The reading of a chain of runs, as one line (dots read as expected's separator)."""
        texts = self._dotted(self.texts, _separator(expected))
        return join_words(texts[i] for i in chain if texts[i])

    def _dotted(self, texts: list[str], separator: str | None) -> list[str]:
        """texts, with the runs no bigger than a dot read as separator when a planned line has
        one there to match: OCR reads a lone "·" as "e", "和@" or "大". A real character is
        as tall as its line, so no character, right or wrong, is ever read this way."""
        if separator is None:
            return texts
        return [separator if dot else text for dot, text in zip(self.dots, texts, strict=True)]

    def best(self, expected: str, exclude: Collection[int] = ()) -> tuple[int, ...]:
        """The chain whose reading is closest to expected over its whole length (ties: the
        first found, top to bottom), of runs not in exclude; () when nothing was read."""
        target = fold(expected)
        folded = self._dotted(self.folded, "" if _separator(expected) else None)
        sizes = [len(text) for text in folded]
        candidates = []

        def viable(chain: tuple[int, ...]) -> bool:
            # A chain whose last run reads far from the line where it would be is not followed
            # on (long lines over many runs made millions of chains). It only changes which
            # wrong chain is shown for a failing line: an exact one is never cut.
            if chain[-1] in exclude:
                return False
            run = folded[chain[-1]]
            at, slack = sum(sizes[i] for i in chain[:-1]), len(run) // 2 + 2
            window = target[max(at - slack, 0) : at + len(run) + slack]
            return fit_distance(run, window) <= PRUNE_SHARE * len(run)

        for start in range(len(folded)):
            chained = chains(self.following, sizes, start=start, limit=len(target), viable=viable)
            for chain in chained:
                got = "".join(folded[i] for i in chain)
                if got == target:
                    return chain
                candidates.append((abs(len(got) - len(target)), start, chain, got))
        best, best_distance = (), len(target) + 1
        for bound, _, chain, got in sorted(candidates, key=lambda c: (c[0], c[1])):
            if bound >= best_distance:
                break
            edits = levenshtein(target, got)
            if edits < best_distance:
                best, best_distance = chain, edits
        return best


def _separator(expected: str) -> str | None:
    """The first separator glyph (SEPARATORS) of a planned line, if any."""
    return next((ch for ch in expected if ch in SEPARATORS), None)

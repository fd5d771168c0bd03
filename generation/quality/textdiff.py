"""Compare expected text with OCR output: normalisation, Levenshtein distance, CER, diffs.

Both sides are normalised before comparing: NFKC (full-width letters, digits and punctuation
become their ASCII forms), lowercase, and everything that is not a letter or a digit is dropped
(whitespace, bullet marks, punctuation, symbols). CJK ideographs are letters and are kept.
Distances are counted on the normalised text with the look-alikes OCR confuses folded into
one character each (LOOK_ALIKES: 0/o, 1/l/i/|, 5/s/$, x/×); the text shown (`got`, `diff`)
stays unfolded so a person can read it.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

DIFF_MAX_CHARS = 160
DIFF_MIN_SIMILARITY = 0.5
# Applied after NFKC and lowercasing, before punctuation is dropped ("|" and "$" are symbols).
LOOK_ALIKES = str.maketrans({"o": "0", "l": "1", "i": "1", "|": "1", "s": "5", "$": "5", "×": "x"})


@dataclass(frozen=True)
class Comparison:
    expected: str  # normalised expected text
    got: str  # normalised recognised text
    distance: int  # Levenshtein distance between the two, look-alikes folded
    cer: float  # distance / len(expected); 0.0 when both are empty
    diff: str  # short human-readable diff, see diff_text()


def normalize(text: str) -> str:
    """NFKC, lowercase, keep only letters and digits (CJK included)."""
    return _letters_and_digits(unicodedata.normalize("NFKC", text).lower())


def fold(text: str) -> str:
    """normalize() with the look-alikes OCR confuses folded: "Il0|S" -> "11015"."""
    return _letters_and_digits(unicodedata.normalize("NFKC", text).lower().translate(LOOK_ALIKES))


def distance(expected: str, got: str) -> int:
    """Edit distance between two texts after folding (what decides whether a line is wrong)."""
    return levenshtein(fold(expected), fold(got))


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions all cost 1)."""
    a, b = _strip_common_ends(a, b)
    if len(a) < len(b):
        a, b = b, a
    return _last_row(a, b, free_start=False)[-1]


def fit_distance(text: str, window: str) -> int:
    """The fewest edits that make text a part of window (its start and end in window free)."""
    return min(_last_row(text, window, free_start=True))


def _last_row(a: str, b: str, *, free_start: bool) -> list[int]:
    """The last row of the edit table of a against b: at j, the edits that turn a into b[:j]
    (free_start: into a part of b that ends at j)."""
    previous = [0] * (len(b) + 1) if free_start else list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous


def compare(expected: str, got: str) -> Comparison:
    """Compare expected text with the text recognised for it."""
    return _comparison(normalize(expected), normalize(got), distance(expected, got))


def cer(expected: str, got: str) -> float:
    """Character error rate of got against expected, after normalisation."""
    return compare(expected, got).cer


def diff_text(expected: str, got: str) -> str:
    """Expected text with differing spans marked: [expected→got], [-missing-], {+extra+}.

    Texts with little in common are shown whole as [expected→got].
    """
    matcher = difflib.SequenceMatcher(None, expected, got, autojunk=False)
    if expected != got and matcher.ratio() < DIFF_MIN_SIMILARITY:
        return _shorten(f"[{expected}→{got}]")
    parts = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(expected[i1:i2])
        elif tag == "replace":
            parts.append(f"[{expected[i1:i2]}→{got[j1:j2]}]")
        elif tag == "delete":
            parts.append(f"[-{expected[i1:i2]}-]")
        else:
            parts.append(f"{{+{got[j1:j2]}+}}")
    return _shorten("".join(parts))


def _comparison(expected: str, got: str, edits: int) -> Comparison:
    rate = edits / len(expected) if expected else float(bool(got))
    return Comparison(expected, got, edits, round(rate, 4), diff_text(expected, got))


def _letters_and_digits(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def _shorten(text: str) -> str:
    return text if len(text) <= DIFF_MAX_CHARS else text[: DIFF_MAX_CHARS - 1] + "…"


def _strip_common_ends(a: str, b: str) -> tuple[str, str]:
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    a, b = a[prefix:], b[prefix:]
    suffix = 0
    while suffix < min(len(a), len(b)) and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    return a[: len(a) - suffix], b[: len(b) - suffix]

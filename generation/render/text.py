"""Line breaking and text placement for Chinese and English slide text.

CJK text breaks between any two characters, Latin text only between words (a word wider
than the line is broken between letters). Closing punctuation never starts a line and
opening punctuation never ends one: they stay glued to their neighbour.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

from PIL import ImageDraw

from generation.render.fonts import advance, get_font, line_extents
from generation.slides import TextBox

NO_LINE_START = frozenset("，。、；：！？）》」』】〕〉〗｝〙〛”’…—～·％‰,.;:!?)]}%")
NO_LINE_END = frozenset("（《「『【〔〈〖｛〘〚“‘([{")
_CJK_RANGES = (
    (0x2E80, 0x2FDF),  # radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x30FF),  # kana
    (0x3100, 0x31BF),  # bopomofo
    (0x3400, 0x4DBF),  # extension A
    (0x4E00, 0x9FFF),  # unified ideographs
    (0xAC00, 0xD7AF),  # hangul
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xFE30, 0xFE4F),  # compatibility forms
    (0xFF00, 0xFFEF),  # full-width forms
    (0x20000, 0x3FFFF),  # extensions B and later
)


# The ranges as one character class: a page's fit measure asks about every character of its
# text, and a compiled class answers in one step instead of eleven comparisons.
_CJK = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES) + "]")


def is_cjk(char: str) -> bool:
    return _CJK.match(char) is not None


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def _atoms(paragraph: str) -> list[str]:
    """Unbreakable pieces: single CJK characters, Latin words and single spaces."""
    atoms: list[str] = []
    for char in paragraph:
        previous = atoms[-1] if atoms else ""
        if char.isspace():
            if previous and previous != " ":
                atoms.append(" ")
        elif char in NO_LINE_START and previous == " " and len(atoms) > 1:
            atoms.pop()
            atoms[-1] += " " + char
        elif previous and previous != " " and _joins(previous[-1], char):
            atoms[-1] += char
        else:
            atoms.append(char)
    return atoms


def _joins(previous: str, char: str) -> bool:
    """Whether no line break may fall between `previous` and `char`."""
    if char in NO_LINE_START or previous in NO_LINE_END:
        return True
    return not is_cjk(char) and not is_cjk(previous)


def text_width(text: str, px: int, bold: bool, family: str = "") -> float:
    return sum(advance(px, bold, char, family) for char in text)


def _split_long(atom: str, px: int, bold: bool, max_width: float, family: str) -> list[str]:
    """Break an atom wider than the line between characters (never before NO_LINE_START)."""
    pieces = [""]
    for char in atom:
        fits = text_width(pieces[-1] + char, px, bold, family) <= max_width
        if fits or not pieces[-1] or char in NO_LINE_START:
            pieces[-1] += char
        else:
            pieces.append(char)
    return pieces


def _wrap_paragraph(
    paragraph: str, px: int, bold: bool, max_width: float, family: str
) -> list[str]:
    lines: list[str] = []
    current = ""
    for atom in _atoms(paragraph.strip()):
        if atom == " ":
            current += " " if current else ""
            continue
        if text_width(current + atom, px, bold, family) <= max_width:
            current += atom
            continue
        if current.strip():
            lines.append(current.rstrip())
        pieces = _split_long(atom, px, bold, max_width, family)
        lines.extend(pieces[:-1])
        current = pieces[-1]
    if current.strip():
        lines.append(current.rstrip())
    return lines


@functools.lru_cache(maxsize=4096)
def wrap(text: str, px: int, bold: bool, max_width: float, family: str = "") -> tuple[str, ...]:
    """The lines `text` breaks into at `px` pixels within `max_width` pixels, in the font
    `family` (generation/render/fonts.py; "" for the default face).

    Cached: the installed fonts do not change while the process runs.
    """
    return tuple(
        line
        for paragraph in text.splitlines()
        for line in _wrap_paragraph(paragraph, px, bold, max_width, family)
    )


def break_at(part: Part, separator: str, max_width: float) -> Part:
    """`part` with its text broken after `separator`s instead of inside the phrases they
    separate ("A · B · C" → "A · B ·" / "C") when it needs more than one line; phrases
    longer than a line still wrap. Only whitespace changes, so the text read back is the same."""
    phrases = part.text.split(separator)
    if len(phrases) < 2 or len(wrap(part.text, part.px, part.bold, max_width, part.family)) < 2:
        return part
    lines = [phrases[0]]
    for phrase in phrases[1:]:
        joined = lines[-1] + separator + phrase
        if text_width(joined, part.px, part.bold, part.family) <= max_width:
            lines[-1] = joined
        else:
            lines[-1] += separator.rstrip()
            lines.append(phrase.lstrip())
    return replace(part, text="\n".join(lines), source=part.text)


@dataclass(frozen=True)
class Part:
    """One text block to lay out: its text, TextBox role, size and style."""

    text: str
    role: str
    px: int
    bold: bool = False
    align: str = "left"
    color: str = "#000000"
    leading: float = 1.35  # line pitch as a multiple of px
    space_before: int = 0  # pixels above this block when stacked
    indent: int = 0  # pixels from the stack's left edge when stacked
    family: str = ""  # the template's font family for this text ("": the default face)
    source: str = ""  # the text as planned when `text` has line breaks of its own (break_at)


@dataclass(frozen=True)
class Block:
    """A laid-out text block.

    box (x0, y0, x1, y1) is the area the drawn lines cover: their advance widths across, and
    from the CJK/Latin ink ascent of the first line to the descent of the last one down.
    """

    part: Part
    lines: tuple[str, ...]
    xs: tuple[int, ...]
    baselines: tuple[int, ...]
    box: tuple[int, int, int, int]

    @property
    def bottom(self) -> int:
        return self.box[3]

    def moved(self, dx: int, dy: int) -> Block:
        x0, y0, x1, y1 = self.box
        return replace(
            self,
            xs=tuple(x + dx for x in self.xs),
            baselines=tuple(y + dy for y in self.baselines),
            box=(x0 + dx, y0 + dy, x1 + dx, y1 + dy),
        )

    def recoloured(self, color: str) -> Block:
        return replace(self, part=replace(self.part, color=color))

    def text_box(self) -> TextBox:
        """The block as the check sees it: the planned text (before break_at's line breaks)."""
        x0, y0, x1, y1 = self.box
        part = self.part
        return TextBox(
            role=part.role,
            text=part.source or part.text,
            x=x0,
            y=y0,
            w=x1 - x0,
            h=y1 - y0,
            font_px=part.px,
            color=part.color,
            bold=part.bold,
            align=part.align,
            lines=self.lines,
        )


def _line_x(x: int, width: int, line_width: float, align: str) -> int:
    if align == "center":
        return x + round((width - line_width) / 2)
    if align == "right":
        return x + round(width - line_width)
    return x


def layout(part: Part, x: int, y: int, width: int) -> Block:
    """Wrap `part` to `width` and place its ink top at `y`, aligned within [x, x + width]."""
    safety = max(1, round(part.px * 0.04))
    lines = wrap(part.text, part.px, part.bold, width - safety, part.family)
    ascent, descent = line_extents(part.px, part.bold, part.family)
    pitch = round(part.px * part.leading)
    widths = [text_width(line, part.px, part.bold, part.family) for line in lines]
    xs = tuple(_line_x(x, width, line_width, part.align) for line_width in widths)
    baselines = tuple(y + ascent + index * pitch for index in range(len(lines)))
    if not lines:
        return Block(part, (), (), (), (x, y, x, y))
    right = max(round(left + line_width) for left, line_width in zip(xs, widths, strict=True))
    return Block(part, lines, xs, baselines, (min(xs), y, right, baselines[-1] + descent))


def stack(parts: list[Part], x: int, y: int, width: int) -> list[Block]:
    """Lay the non-empty parts out top to bottom, each `space_before` below the previous one."""
    blocks: list[Block] = []
    for part in parts:
        if not part.text.strip():
            continue
        top = blocks[-1].bottom + part.space_before if blocks else y
        blocks.append(layout(part, x + part.indent, top, width - part.indent))
    return blocks


def bounds(blocks: list[Block]) -> tuple[int, int, int, int]:
    """The union of the blocks' boxes (blocks must not be empty)."""
    return (
        min(block.box[0] for block in blocks),
        min(block.box[1] for block in blocks),
        max(block.box[2] for block in blocks),
        max(block.box[3] for block in blocks),
    )


def draw(canvas: ImageDraw.ImageDraw, block: Block) -> None:
    font = get_font(block.part.px, block.part.bold, block.part.family)
    for line, x, baseline in zip(block.lines, block.xs, block.baselines, strict=True):
        canvas.text((x, baseline), line, font=font, fill=block.part.color, anchor="ls")

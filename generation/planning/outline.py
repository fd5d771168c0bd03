"""Parse a text outline into the structured outline the `outline` step stores.

Accepted forms (Chinese and English, mixed forms too):

* Markdown: ``#`` title, ``##`` section, ``###`` page; ``-``/``*``/``+``/``•`` and ``1.``/``1)``
  bullets are items, indented bullets are the children of the item above. With ``##`` but no
  ``###`` the ``##`` headings are pages of one untitled section.
* Numbered: ``1.``/``1、`` sections and ``1.1``/``1.1.`` pages; items are bullets and indented
  ``1.`` lines. Top-level ``1.`` lines without any ``N.M`` page are pages.
* Chinese numbering: ``一、``/``第一章``/``第一部分`` sections; ``（一）``/``(一)``,
  ``1.``/``1、`` or ``1.1`` pages under them; the next numbering level down is items.

Which markers are sections and pages is decided per document: of the heading/numbering levels
present (``#`` … ``######``, ``一、``, ``（一）``, ``1.``, ``1.1``, in that order), the first is the
section level and the second the page level; with a single level it is the page level. Deeper
levels, ``1)``, ``(1)``, ``①`` and ``1.1.1`` are items. ``1.`` lines are items whenever the
document has Markdown headings. Leading numbering is removed from section and page titles.

The first line is the title when it is plain text or a ``#`` heading; a plain line right after it
is the subtitle. Plain lines elsewhere are items (text only), or continue the item above when
indented under it. Inline Markdown (bold, code, links) is reduced to plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMPTY_MESSAGE = "the outline is empty"
NO_STRUCTURE_MESSAGE = (
    "needs an outline or a text model: write a title, sections and pages "
    "(e.g. Markdown #/##/###, or 1. / 1.1 numbering), or choose a text provider"
)
NO_TITLE_MESSAGE = "the outline needs a title: put it on the first line (e.g. '# Title')"

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_CN_DIGITS = "一二三四五六七八九十百零〇两"
_SKIP = re.compile(r"^(?:[-*_=]\s*){3,}$|^```|^~~~")
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("heading", re.compile(r"^(#{1,6})(?:\s+|(?=[^\x00-\x7f]))(.*?)[\s#]*$")),
    (
        "cn_section",
        re.compile(
            rf"^(第[{_CN_DIGITS}\d]+(?:章|部分|节|篇|讲|单元|课)|[{_CN_DIGITS}]{{1,3}}[、.．])"
            r"[\s:：、.．]*(.*)$"
        ),
    ),
    ("cn_paren", re.compile(rf"^([（(][{_CN_DIGITS}]{{1,3}}[)）])[\s:：、.．]*(.+)$")),
    ("item", re.compile(r"^(\d{1,2}(?:[.．]\d{1,2}){2,}[.．、]?)\s*(.+)$")),
    ("dotted", re.compile(r"^(\d{1,2}[.．]\d{1,2}[.．、]?)(?:\s+|(?=[^\x00-\x7f]))(.+)$")),
    ("number", re.compile(r"^(\d{1,2}[.．、])(?!\d)\s*(.+)$")),
    (
        "item",
        re.compile(
            r"^([-*+–]\s|[•·●○◦▪■▶➢✓✔①-⑳]|\d{1,2}[)）]|[（(]\d{1,2}[)）])"
            r"\s*(?:\[[ xX]\]\s*)?(.+)$"
        ),
    ),
)
_NUMBERING = _MARKERS[1:-1]  # the numbering markers: 一、 （一） 1.1.1 1.1 1.
_LEVELS = ("h1", "h2", "h3", "h4", "h5", "h6", "cn_section", "cn_paren", "number", "dotted")
_COLON = re.compile(r"：|(?<!\d):(?!//)|:(?![\d/])")
_MAX_TITLE_CJK = 20
_MAX_TITLE_WORDS = 6


class OutlineError(ValueError):
    """The text cannot be used as an outline; the message tells a person what to do."""


@dataclass
class _Line:
    level: str  # one of _LEVELS, "item" or "plain"
    text: str
    indent: int


def parse_outline(text: str) -> dict:
    """Parse Markdown, numbered or Chinese-numbered outline text (see the module docstring).

    Returns {"title", "subtitle", "language", "sections": [{"title", "pages": [{"title",
    "items"}], "items"}], "headings"}; items are {"title", "text", "children": [str]}.
    Raises OutlineError for empty text, and for text with no sections, pages or items.
    """
    lines = [line for line in map(_classify, text.splitlines()) if line]
    if not lines:
        raise OutlineError(EMPTY_MESSAGE)
    _demote_indented_numbers(lines)
    title_line, subtitle, body = _head(lines)
    builder = _Builder(_roles(body))
    for line in body:
        builder.add(line)
    if not builder.structured:
        raise OutlineError(NO_STRUCTURE_MESSAGE)
    if not title_line and not builder.headings:
        raise OutlineError(NO_TITLE_MESSAGE)
    title = title_line.text if title_line else builder.headings[0]
    return {
        "title": title,
        "subtitle": subtitle,
        "language": detect_language(text),
        "sections": [s for s in builder.sections if s["title"] or s["pages"] or s["items"]],
        "headings": ([title] if title_line else []) + builder.headings,
    }


def _head(lines: list[_Line]) -> tuple[_Line | None, str, list[_Line]]:
    """(title line, subtitle, the remaining lines): the first line is the title when it is plain
    text or a '#' heading; a plain line right after it is the subtitle."""
    if lines[0].level not in ("plain", "h1"):
        return None, "", lines
    if len(lines) > 1 and lines[1].level == "plain":
        return lines[0], lines[1].text, lines[2:]
    return lines[0], "", lines[1:]


def detect_language(text: str) -> str:
    """'zh' when CJK characters make up at least 20% of the letters, else 'en'."""
    cjk = len(CJK.findall(text))
    letters = cjk + len(_LATIN.findall(text))
    return "zh" if letters and cjk / letters >= 0.2 else "en"


def split_item(text: str) -> tuple[str, str]:
    """'标题：说明' / 'Title: explanation' -> (title, text) when the title part is short."""
    match = _COLON.search(text)
    if not match:
        return text, ""
    head, tail = text[: match.start()].strip(), text[match.end() :].strip()
    if head and tail and _is_short_title(head):
        return head, tail
    return text, ""


def _is_short_title(text: str) -> bool:
    if CJK.search(text):
        return len(CJK.findall(text)) <= _MAX_TITLE_CJK and len(text) <= _MAX_TITLE_CJK * 2
    return len(text.split()) <= _MAX_TITLE_WORDS


def _classify(raw: str) -> _Line | None:
    expanded = raw.expandtabs(4)
    stripped = expanded.strip()
    if not stripped or _SKIP.match(stripped):
        return None
    indent = len(expanded) - len(expanded.lstrip())
    for kind, pattern in _MARKERS:
        match = pattern.match(stripped)
        if match:
            return _marked_line(kind, match, indent)
    text = clean_inline(stripped)
    return _Line("plain", text, indent) if text else None


def _marked_line(kind: str, match: re.Match[str], indent: int) -> _Line | None:
    marker, text = match.group(1), clean_inline(match.group(2))
    if kind == "heading":
        return _Line(f"h{len(marker)}", strip_numbering(text), indent) if text else None
    if kind == "cn_section" and not text:
        text = marker if marker.startswith("第") else ""
    return _Line(kind, text, indent) if text else None


def _demote_indented_numbers(lines: list[_Line]) -> None:
    """'1.' lines indented deeper than the outermost '1.' lines are items."""
    top = min((line.indent for line in lines if line.level == "number"), default=0)
    for line in lines:
        if line.level == "number" and line.indent > top:
            line.level = "item"


def _roles(lines: list[_Line]) -> dict[str, str]:
    present = {line.level for line in lines}
    if any(level.startswith("h") for level in present):
        present.discard("number")
    levels = [level for level in _LEVELS if level in present]
    if len(levels) >= 2:
        return {levels[0]: "section", levels[1]: "page"}
    return {levels[0]: "page"} if levels else {}


def clean_inline(text: str) -> str:
    """Reduce inline Markdown (links, images, bold, italics, code) to plain text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = text.replace("`", "").replace("**", "")
    return " ".join(text.split())


def strip_numbering(text: str) -> str:
    """'1.1 Title' / '一、标题' / '（一）标题' -> the title without its numbering."""
    for _kind, pattern in _NUMBERING:
        match = pattern.match(text)
        if match:
            return match.group(2) or text
    return text


class _Builder:
    """Collects sections, pages and items line by line."""

    def __init__(self, roles: dict[str, str]) -> None:
        self.roles = roles
        self.sections: list[dict] = []
        self.headings: list[str] = []
        self.page: dict | None = None
        self.item_indent = 0
        self.structured = False

    def add(self, line: _Line) -> None:
        role = self.roles.get(line.level, "plain" if line.level == "plain" else "item")
        self.structured = self.structured or role != "plain"
        if role == "section":
            self._start_section(line.text)
        elif role == "page":
            self._start_page(line.text)
        elif role == "item":
            self._add_item(line)
        else:
            self._add_paragraph(line)

    def _start_section(self, title: str) -> None:
        self.sections.append({"title": title, "pages": [], "items": []})
        self.headings.append(title)
        self.page = None

    def _start_page(self, title: str) -> None:
        if not self.sections:
            self.sections.append({"title": "", "pages": [], "items": []})
        self.page = {"title": title, "items": []}
        self.sections[-1]["pages"].append(self.page)
        self.headings.append(title)

    def _items(self) -> list[dict]:
        if self.page is not None:
            return self.page["items"]
        if not self.sections:
            self.sections.append({"title": "", "pages": [], "items": []})
        return self.sections[-1]["items"]

    def _nests(self, items: list[dict], line: _Line) -> bool:
        return bool(items) and line.indent > self.item_indent

    def _add_item(self, line: _Line) -> None:
        items = self._items()
        if self._nests(items, line):
            items[-1]["children"].append(line.text)
            return
        title, text = split_item(line.text)
        items.append({"title": title, "text": text, "children": []})
        self.item_indent = line.indent

    def _add_paragraph(self, line: _Line) -> None:
        items = self._items()
        if self._nests(items, line):
            last = items[-1]
            joiner = "" if CJK.match(line.text) or not last["text"] else " "
            last["text"] = f"{last['text']}{joiner}{line.text}"
            return
        items.append({"title": "", "text": line.text, "children": []})
        self.item_indent = line.indent

"""Continuation pages: a page with more items than a page takes, or more text than its slide
holds, split into pages titled "标题（续）" / "Title (cont.)", "Title (cont. 2)" …

Items are carried over in order. With a measure (`fits(plan) -> bool`, the renderer's own
layout at its minimum font sizes, see generation/render/fit.py) a page is filled item by item
while it fits; an item with children keeps them on its page. An item too long for a page of its
own is cut between words (between characters in Chinese), children first: the head stays, the
rest opens the next page (the item's heading is repeated above the children it carries on to).
A page whose first word does not fit even alone (a title longer than the slide) is returned with
"unfit" set to a message saying so: the plan step refuses it rather than have it drawn cut off.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from generation.planning.outline import CJK

Fits = Callable[[dict], bool]
CONTINUED = {"zh": ("（续）", "（续{n}）"), "en": (" (cont.)", " (cont. {n})")}
UNFIT_MESSAGE = (
    "even its first word does not fit on a slide at the smallest font size: "
    "shorten the title or this item"
)
_SPLIT_KINDS = frozenset({"content", "contents"})
_SENTENCE_END = frozenset("。！？；.!?;")
_SENTENCE_TRIES = 3  # sentence ends tried, from the last, to keep text with its children


def continued(title: str, part: int, language: str) -> str:
    """The title of part `part` (0 = the page itself) of a split page."""
    if part == 0:
        return title
    once, numbered = CONTINUED["zh" if language == "zh" else "en"]
    return title + (once if part == 1 else numbered.format(n=part))


def split_page(
    page: dict, *, limit: int | None, language: str, fits: Fits | None = None
) -> list[dict]:
    """`page` as one or more pages: at most `limit` items each (split evenly; None: no item
    limit) and, with `fits`, no more than each page's slide holds."""
    chunks = _even_chunks(page["items"], limit)
    parts = [_part(page, n, chunk, language, n) for n, chunk in enumerate(chunks)]
    if len(parts) == 1:
        parts = [page]
    if fits is None or all(fits(part) for part in parts):
        return parts
    if page["kind"] not in _SPLIT_KINDS or not page["items"]:
        return [{**page, "unfit": UNFIT_MESSAGE}]
    pages: list[dict] = []
    for chunk in chunks:
        _fill(page, list(chunk), language, fits, pages)
    return pages


def _even_chunks(items: list[dict], limit: int | None) -> list[list[dict]]:
    if limit is None or len(items) <= limit:
        return [items]
    size = math.ceil(len(items) / math.ceil(len(items) / limit))
    return [items[start : start + size] for start in range(0, len(items), size)]


def _part(page: dict, part: int, items: list[dict], language: str, continues: int) -> dict:
    features = dict(page.get("semanticFeatures", {}))
    plan = {
        **page,
        "title": continued(page["title"], part, language),
        "items": items,
        "semanticFeatures": features,
    }
    if continues:
        plan["continues"] = continues
    return plan


def _fill(page: dict, pending: list[dict], language: str, fits: Fits, pages: list[dict]) -> None:
    """Append to `pages` the parts holding `pending`, each as full as its slide allows."""
    current: list[dict] = []
    while pending:
        item = pending.pop(0)
        part = len(pages)
        if fits(_part(page, part, [*current, item], language, part)):
            current.append(item)
            continue
        if current:
            pages.append(_part(page, part, current, language, part))
            current = []
            pending.insert(0, item)
            continue
        cut = _cut_item(item, lambda it, n=part: fits(_part(page, n, [it], language, n)))
        if cut is None:
            unfit = _part(page, part, [item, *pending], language, part)
            pages.append({**unfit, "unfit": UNFIT_MESSAGE})
            return
        head, rest = cut
        pages.append(_part(page, part, [head], language, part))
        pending.insert(0, rest)
    if current:
        pages.append(_part(page, len(pages), current, language, len(pages)))


def _cut_item(item: dict, fits_alone: Callable[[dict], bool]) -> tuple[dict, dict] | None:
    """(the longest head of `item` that fits a page alone, the rest), or None when not even
    its first word fits.

    The cut falls after the last whole child that fits (or after the item's own text); inside
    the title, the text or a child only when no such cut fits. Children carried on go under the
    item's title again; an item without a title keeps its last sentence with them.
    """
    segments = [("title", item.get("title", "")), ("text", item.get("text", ""))]
    segments = [seg for seg in segments if seg[1]]
    bare = len(segments)
    segments += [("child", child) for child in item.get("children", [])]
    cuts = [(i, point) for i, (_, text) in enumerate(segments) for point in _breaks(text)]
    cuts = sorted(cuts + [(i, len(text)) for i, (_, text) in enumerate(segments)])[:-1]

    def head(count: int) -> dict:
        return _item(segments, cuts[count - 1], head=True)

    kept = _longest(len(cuts), lambda n: fits_alone(head(n)) if n else True)
    if kept == 0:
        return None
    whole = [
        (index, point)
        for index, point in cuts[:kept]
        if index >= max(bare - 1, 0) and point == len(segments[index][1])
    ]
    cut = whole[-1] if whole else cuts[kept - 1]
    orphans = bare == 1 and len(segments) > 1 and cut == (0, len(segments[0][1]))
    if orphans and not item.get("title"):
        cut = _with_children(segments, cuts[:kept], fits_alone) or cut
    rest = _item(segments, cut, head=False)
    in_children = cut[0] >= bare or (bare == 2 and cut == (1, len(segments[1][1])))
    if in_children and item.get("title"):
        rest["title"] = item["title"]  # the heading again above the children it carries on
    return _item(segments, cut, head=True), rest


def _with_children(
    segments: list[tuple[str, str]], cuts: list[tuple[int, int]], fits_alone: Callable[[dict], bool]
) -> tuple[int, int] | None:
    """A cut at one of the text's last sentence ends whose rest (that sentence and the
    children) fits a page: children would otherwise go on without any of their item's text."""
    text = segments[0][1]
    ends = [
        cut
        for cut in cuts
        if cut[0] == 0 and 0 < cut[1] < len(text) and text[: cut[1]].rstrip()[-1] in _SENTENCE_END
    ]
    for cut in reversed(ends[-_SENTENCE_TRIES:]):
        if fits_alone(_item(segments, cut, head=False)):
            return cut
    return None


def _item(segments: list[tuple[str, str]], cut: tuple[int, int], *, head: bool) -> dict:
    """The part of the item before (head) or after the cut, as an item."""
    index, point = cut
    item: dict = {"title": "", "text": "", "children": []}
    for i, (field, text) in enumerate(segments):
        if i == index:
            value = text[:point].rstrip() if head else text[point:].lstrip()
        elif (i < index) == head:
            value = text
        else:
            continue
        if field == "child":
            item["children"].extend([value] if value else [])
        else:
            item[field] = value
    return item


def _breaks(text: str) -> list[int]:
    """Offsets inside `text` where it may be cut: after a space, or beside a CJK character
    (never before closing punctuation)."""
    points = []
    for index in range(1, len(text)):
        before, char = text[index - 1], text[index]
        if char.isspace() or not (before.isspace() or CJK.match(before) or CJK.match(char)):
            continue
        if not _closing(char):
            points.append(index)
    return points


def _closing(char: str) -> bool:
    return char in "，。、；：！？）》」』】…—,.;:!?)]}%"


def _longest(count: int, fits: Callable[[int], bool]) -> int:
    """The largest n in 0..count with fits(n), assuming fits holds up to some n and not after."""
    low, high = 0, count
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low

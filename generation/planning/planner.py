"""Compose page plans (see generation/slides.py) from a structured outline, and check a plan."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from generation.planning.continuation import Fits, split_page

_LABELS = {
    "zh": {
        "contents": "目录",
        "overview": "概述",
        "dup": "（{n}）",
        "ending": "谢谢",
    },
    "en": {
        "contents": "Contents",
        "overview": "Overview",
        "dup": " ({n})",
        "ending": "Thank you",
    },
}
LANGUAGE_CODES = tuple(_LABELS)
_SEPARATOR = " · "
_CN_DIGITS = "零一二三四五六七八九"

_KEYWORDS = {
    "comparison": (
        "对比 比较 区别 优缺点 差异 异同 利弊 优劣 相比",
        r"\b(?:vs|versus|compar\w*|pros and cons|pros & cons|differences?|trade-?offs?"
        r"|contrast\w*)\b",
    ),
    "sequential": (
        "步骤 流程 阶段 首先 然后 第一步 过程 路线图 时间线 如何 怎样",
        r"\b(?:steps?|process\w*|phases?|stages?|timelines?|roadmaps?|how to|workflows?"
        r"|procedures?|milestones?)\b",
    ),
    "problem_solution": (
        "问题 挑战 痛点 解决 方案 对策 困难 风险 应对",
        r"\b(?:problems?|challenges?|solutions?|solv\w*|issues?|fix\w*|risks?|pitfalls?"
        r"|obstacles?|barriers?)\b",
    ),
    "hierarchical": (
        "层 结构 架构 体系 组成 框架",
        r"\b(?:hierarch\w*|architectur\w*|layers?|structur\w*|levels?|tiers?|pyramid|stack)\b",
    ),
    "classification": (
        "类型 分类 种类 类别 几类",
        r"\b(?:types?|categor\w*|kinds?|classif\w*|sorts of|forms of)\b",
    ),
}
_INTRO = (
    "介绍 概述 引言 简介 导言 什么是",
    r"\b(?:introduction|intro|overview|what is|what are|getting started)\b",
)
_ORDINAL = re.compile(
    r"^(?:第[一二三四五六七八九十\d]+[步个阶]?|首先|其次|然后|接着|再次|最后|最终"
    r"|(?:first|second|third|fourth|fifth|then|next|finally|lastly|step\s*\d+)\b)",
    re.IGNORECASE,
)
_TITLE_WEIGHT = 3
_ITEM_HITS_CAP = 3
_STRUCTURE_BONUS = 2
_SHORT_ITEM = {"zh": 20, "en": 60}
_SUFFIX = re.compile(r"\s*(?:（续\d*）|\(cont\.(?: \d+)?\)|（\d+）|\(\d+\))$")


def compose_pages(
    outline: dict,
    *,
    max_items_per_page: int | None = 6,
    disambiguate_titles: bool = False,
    fits: Fits | None = None,
    language: str | None = None,
    ending: bool = False,
) -> list[dict]:
    """Page plans for the outline: cover, contents, each section's pages, then the ending.

    `language` ("zh" or "en"; None: the outline's own) is the deck's: the words the planner adds
    (contents title, "Overview", section labels, continuation and ending titles) are in it,
    and every page carries it for the steps after planning.

    * cover: the outline title and subtitle;
    * contents: only with at least two titled sections, items = the section titles;
    * a titled section opens with a transition page (subtitle "Part 1" / "第一部分"), or, when it
      has direct items, with a content page titled as the section instead;
    * untitled sections give only their content pages (direct items: a page "概述"/"Overview");
    * content pages with more than max_items_per_page items (None: no limit) are split evenly
      into continuation pages "标题（续）" / "Title (cont.)";
    * with `fits` (the renderer's measure, generation/render/fit.py), a page holding more than
      its slide is split further, item by item, and a page that cannot be split to fit carries
      "unfit" (see continuation.py);
    * with `ending`, a closing page "谢谢" / "Thank you" whose subtitle lists the titled
      sections ("A · B · C"), or gives the deck's title when they do not fit or there are none.
    With disambiguate_titles, repeated titles get " · section name", then a number, so that
    every title is unique.
    """
    language = language if language in LANGUAGE_CODES else outline.get("language")
    language = "zh" if language == "zh" else "en"
    pages = _front_pages(outline, language)
    position = 0
    for page in _section_pages(outline, language):
        if page["kind"] == "content":
            page["semanticFeatures"] = infer_semantics(
                page["title"], page["items"], language=language, position=position
            )
            position += 1
        pages.append(page)
    if ending:
        pages.append(_ending_page(outline, language, fits))
    if disambiguate_titles:
        _disambiguate(pages, language)
    limit = None if max_items_per_page is None else max(1, max_items_per_page)
    return [
        part
        for page in pages
        for part in split_page(page, limit=limit, language=language, fits=fits)
    ]


def infer_semantics(title: str, items: list[dict], *, language: str, position: int) -> dict:
    """{"logicType", "contentType"} for a content page, by keyword rules in both languages.

    logicType: each type scores 3 when its keywords occur in the title, plus 1 for every item
    (at most 3) whose title, text or children contain one:
      comparison   对比 比较 区别 优缺点 差异 异同 利弊 优劣 相比 / vs versus compare
                   pros and cons difference trade-off contrast
      sequential   步骤 流程 阶段 首先 然后 第一步 过程 路线图 时间线 如何 怎样 / step process
                   phase stage timeline roadmap how to workflow procedure milestone;
                   +2 when at least two items start with an ordinal (第一, 首先, first, step 1)
      problem_solution  问题 挑战 痛点 解决 方案 对策 困难 风险 应对 / problem challenge
                   solution solve issue fix risk pitfall obstacle barrier
      hierarchical 层 结构 架构 体系 组成 框架 / hierarchy architecture layer structure level
                   tier pyramid stack; +2 when an item has children
      classification  类型 分类 种类 类别 几类 / types categories kinds classification;
                   +1 for three or more short parallel items
    The highest score wins; ties go to the earlier type in the list above; with no score at
    all the page is a classification.
    contentType (position = the page's 0-based index among the deck's content pages):
    lesson_introduction for the first content page (position 0) or an
    introduction title (介绍 概述 引言 简介 导言 什么是 / introduction overview what is),
    else comparison_analysis for comparison, problem_discussion for problem_solution, else
    concept_explanation.
    """
    scores = {logic: _keyword_score(title, items, *_KEYWORDS[logic]) for logic in _KEYWORDS}
    if sum(1 for item in items if _ORDINAL.match(_item_text(item))) >= 2:
        scores["sequential"] += _STRUCTURE_BONUS
    if any(item.get("children") for item in items):
        scores["hierarchical"] += _STRUCTURE_BONUS
    if _parallel(items, language):
        scores["classification"] += 1
    best = max(scores.values())
    logic = next(lt for lt in _KEYWORDS if scores[lt] == best) if best else "classification"
    return {"logicType": logic, "contentType": _content_type(title, logic, position)}


def check_plan(
    outline: dict, pages: list[dict], *, max_pages: int
) -> tuple[float, dict, list[str]]:
    """Score a plan 0-10 with metrics and hints.

    Deductions: missing headings take 10 × the missing fraction (at least 1); duplicate page
    titles cap the score at 6.5; more than max_pages pages cap it at 4; fewer than 2 pages at 3.
    """
    headings = [heading for heading in outline.get("headings", []) if heading]
    covered = _covered(pages)
    missing = [heading for heading in headings if _normal(heading) not in covered]
    coverage = (len(headings) - len(missing)) / len(headings) if headings else 1.0
    counts = Counter(page.get("title", "") for page in pages)
    duplicates = [title for title, count in counts.items() if count > 1]
    metrics = {
        "heading_coverage": round(coverage, 3),
        "missing_headings": missing,
        "duplicate_titles": duplicates,
        "page_count": len(pages),
        "max_pages": max_pages,
        "pages_ok": 2 <= len(pages) <= max_pages,
    }
    checks = {
        "missing_headings": bool(missing),
        "duplicate_titles": bool(duplicates),
        "too_many_pages": len(pages) > max_pages,
        "too_few_pages": len(pages) < 2,
    }
    hints = [hint for hint, failed in checks.items() if failed]
    return _plan_score(coverage, hints), metrics, hints


def number_label(number: int, language: str) -> str:
    """The transition label for section `number`: "Part 1" or "第一部分" (the page shows the
    number "01" itself above it)."""
    return f"第{_chinese_number(number)}部分" if language == "zh" else f"Part {number}"


def _chinese_number(number: int) -> str:
    if number < 10:
        return _CN_DIGITS[number]
    tens, units = divmod(number, 10)
    head = "" if tens == 1 else _CN_DIGITS[tens % 10]
    return f"{head}十{_CN_DIGITS[units] if units else ''}"


def _page(kind: str, title: str, language: str, **fields: object) -> dict:
    page = {"kind": kind, "title": title, "subtitle": "", "section": "", "section_index": 0}
    page.update({"items": [], **fields})
    page["language"] = language
    return page


def _item(item: dict) -> dict:
    children = [str(child) for child in item.get("children", [])]
    return {"title": item.get("title", ""), "text": item.get("text", ""), "children": children}


def _front_pages(outline: dict, language: str) -> list[dict]:
    pages = [
        _page("cover", outline.get("title", ""), language, subtitle=outline.get("subtitle", ""))
    ]
    titled = [s["title"] for s in outline.get("sections", []) if s.get("title")]
    if len(titled) >= 2:
        items = [{"title": title, "text": "", "children": []} for title in titled]
        pages.append(_page("contents", _LABELS[language]["contents"], language, items=items))
    return pages


def _ending_page(outline: dict, language: str, fits: Fits | None) -> dict:
    """The closing page: its subtitle the first of (the sections in brief, the deck's title,
    nothing) that fits on the slide."""
    titled = [s["title"] for s in outline.get("sections", []) if s.get("title")]
    summaries = [_SEPARATOR.join(titled)] if titled else []
    summaries += [outline.get("title", ""), ""]
    for subtitle in summaries:
        page = _page("ending", _LABELS[language]["ending"], language, subtitle=subtitle)
        if fits is None or fits(page):
            return page
    return page


def _section_pages(outline: dict, language: str) -> Iterator[dict]:
    number = 0
    for section in outline.get("sections", []):
        name, items = section.get("title", ""), section.get("items", [])
        if name:
            number += 1
        index = number if name else 0
        where = {"section": name, "section_index": index}
        if items:
            title = name or _LABELS[language]["overview"]
            yield _page("content", title, language, items=[_item(i) for i in items], **where)
        elif name:
            subtitle = number_label(number, language)
            yield _page("transition", name, language, subtitle=subtitle, **where)
        for page in section.get("pages", []):
            page_items = [_item(i) for i in page.get("items", [])]
            yield _page("content", page.get("title", ""), language, items=page_items, **where)


def _disambiguate(pages: list[dict], language: str) -> None:
    counts = Counter(page["title"] for page in pages)
    for page in pages:
        section = page.get("section", "")
        repeated = counts[page["title"]] > 1 and page["kind"] == "content"
        if repeated and section and section != page["title"]:
            page["title"] = f"{page['title']}{_SEPARATOR}{section}"
    taken: set[str] = set()
    for page in pages:
        title, number = page["title"], 2
        while title in taken:
            title = page["title"] + _LABELS[language]["dup"].format(n=number)
            number += 1
        page["title"] = title
        taken.add(title)


def _item_text(item: dict) -> str:
    return " ".join(filter(None, [item.get("title", ""), item.get("text", "")]))


def _has_keyword(text: str, words: str, pattern: str) -> bool:
    return any(word in text for word in words.split()) or bool(
        re.search(pattern, text, re.IGNORECASE)
    )


def _keyword_score(title: str, items: list[dict], words: str, pattern: str) -> int:
    score = _TITLE_WEIGHT if _has_keyword(title, words, pattern) else 0
    item_texts = (" ".join([_item_text(item), *item.get("children", [])]) for item in items)
    hits = sum(1 for text in item_texts if _has_keyword(text, words, pattern))
    return score + min(hits, _ITEM_HITS_CAP)


def _parallel(items: list[dict], language: str) -> bool:
    limit = _SHORT_ITEM.get(language, _SHORT_ITEM["en"])
    heads = [item.get("title") or item.get("text", "") for item in items]
    return len(heads) >= 3 and all(0 < len(head) <= limit for head in heads)


def _content_type(title: str, logic: str, position: int) -> str:
    if position == 0 or _has_keyword(title, *_INTRO):
        return "lesson_introduction"
    return {
        "comparison": "comparison_analysis",
        "problem_solution": "problem_discussion",
    }.get(logic, "concept_explanation")


def _normal(title: str) -> str:
    return " ".join(title.casefold().split())


def _covered(pages: list[dict]) -> set[str]:
    """Normalised titles a heading may match: page titles without continuation or
    disambiguation suffixes, and section names."""
    covered: set[str] = set()
    for page in pages:
        title = page.get("title", "")
        base = _SUFFIX.sub("", title)
        covered.update(_normal(t) for t in (title, base, base.split(_SEPARATOR)[0]))
        covered.add(_normal(page.get("section", "")))
    return covered


def _plan_score(coverage: float, hints: list[str]) -> float:
    score = 10.0
    if "missing_headings" in hints:
        score -= max(1.0, 10 * (1 - coverage))
    caps = {"duplicate_titles": 6.5, "too_many_pages": 4.0, "too_few_pages": 3.0}
    for hint, cap in caps.items():
        if hint in hints:
            score = min(score, cap)
    return round(max(score, 0.0), 1)

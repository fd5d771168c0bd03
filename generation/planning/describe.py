"""The page description: plain text that tells the image step what a page shows and how.

A deterministic stand-in for the "outline → page description" prompt. Sentences about the
title, subtitle and body items come first, then the layout implied by the page kind and
logicType, the visual elements (images, icons, connectors), colour emphasis and whitespace, in
the page's language. Sentences are added in that order while they fit in max_chars, so the text
always ends at a sentence boundary.
"""

from __future__ import annotations

import re

from generation.planning.outline import clean_inline

TARGET_MIN_CHARS = 200
_EXTRAS_BY_DETAIL = {1: 2, 2: 4, 3: 99}
_FRAMED_KINDS = ("cover", "contents", "transition", "ending", "image")
_MARKDOWN = {
    "#": re.compile(r"(?:^|\s)#{1,6}(?=\s|$)", re.MULTILINE),
    "**": re.compile(r"\*\*"),
    "__": re.compile(r"__"),
    "`": re.compile(r"`"),
    "- ": re.compile(r"^\s*[-*+] ", re.MULTILINE),
    "[x](y)": re.compile(r"\[[^\]]*\]\([^)]*\)"),
}

_ZH = {
    "joiner": "",
    "items_share": 0.32,
    "text_limits": (None, 16, 10, 6),
    "label": "{}",
    "no_label": "新部分",
    "list_sep": "；",
    "more": "等",
    "quote": "“{}”",
    "item": "“{title}”（{text}）",
    "cover": [
        "封面页展示演示文稿的主标题“{title}”，以大号粗体放在页面的视觉中心。",
        "版面采用左文右图：左侧约一半宽度放标题文字，右侧放一张与主题相关的插画或氛围图片。",
        "插画风格简洁现代，色调与模板主色协调，画面中不出现多余文字。",
        "主标题使用主色，副标题使用柔和的次要色，装饰线和小图形用强调色点缀。",
        "四周保留宽松的留白，整体干净大方，给观众留下清晰的第一印象。",
    ],
    "subtitle": "主标题下方是副标题“{subtitle}”，字号较小、颜色稍浅，用来补充说明主题。",
    "no_subtitle": "页面不设副标题，主标题下方只保留一条细细的强调色装饰线。",
    "contents": [
        "这是《{deck}》的目录页，页面标题为“{title}”，共列出{count}个部分。",
        "各部分纵向排成清单，每行左侧是醒目的大号编号，右侧是部分标题，行距均匀。",
        "每个编号旁可配一个简洁的线性小图标，页面一侧可放一条窄幅装饰图形。",
        "编号使用强调色，部分标题使用主色，行与行之间用浅灰色细线分隔。",
        "清单整体垂直居中，四周留白充足，不放置多余的说明文字。",
    ],
    "contents_items": "各部分依次为：{list}。",
    "transition": [
        "这是《{deck}》{label}的过渡页，标题为“{title}”，提示观众即将进入新的部分。",
        "页面以大号编号和部分标题为视觉中心，编号在上、标题在下，整体居中偏左。",
        "背景可使用大面积主色色块或柔和渐变，并配一个与本部分主题相关的简洁线性图标。",
        "编号使用强调色，标题使用白色或主色加粗，其余元素保持低饱和度，避免分散注意力。",
        "页面不放正文段落，四周保留大量留白，让观众在进入新部分前有短暂的停顿。",
    ],
    "ending": [
        "这是《{deck}》的结束页，标题“{title}”以大号字体居中呈现。",
        "标题下方可留出一行小字的位置，用于致谢或提示提问环节。",
        "背景延续封面的配色与插画风格，让开头和结尾前后呼应。",
        "标题使用主色，装饰元素用强调色点缀，整体简洁克制。",
        "四周保留大量留白，画面安静，给观众留下完整的收尾印象。",
    ],
    "image": [
        "这是《{deck}》中以图片为主的一页，标题为“{title}”。",
        "一张与主题相关的大图占据页面大部分面积，标题放在图片一角的半透明色条上。",
        "图片可以是照片或插画，色调与整套演示文稿一致，画面避免杂乱。",
        "文字只保留标题和必要的简短说明，字号清晰易读。",
        "图片四周保留适当边距，不贴住页面边缘。",
    ],
    "content": "这是《{deck}》“{section}”部分的内容页，标题“{title}”位于页面顶部左侧。",
    "content_no_section": "这是《{deck}》的一页内容页，标题“{title}”位于页面顶部左侧。",
    "items": "正文包含{count}个要点：{list}。",
    "no_items": "页面没有列出正文要点，以标题和一张与主题相关的配图为主。",
    "children": "其中{parent}下面再分为{children}，以缩进的小字列在其下。",
    "layout": {
        "sequential": "要点按从左到右的编号步骤排列，步骤之间用箭头或时间轴连接，"
        "先后顺序一目了然。",
        "comparison": "正文采用左右两栏对比布局，两侧顶部各有标题色条，"
        "对应要点放在同一行，便于逐项比较。",
        "problem_solution": "正文采用问题与对策布局：左侧列出问题或挑战，"
        "右侧对应给出解决办法，中间用箭头连接。",
        "hierarchical": "正文以层级结构图呈现，核心概念位于顶部，"
        "各要点作为分支向下展开，子要点挂在上级之下。",
        "classification": "正文由{count}张等大的卡片组成网格，每张卡片对应一个要点，"
        "包含小图标、加粗短标题和一句说明。",
    },
    "visual": {
        "sequential": "每个步骤上方配一个简洁的线性图标和圆形编号，不需要照片。",
        "comparison": "两栏之间用细分隔线隔开，每栏顶部放一个代表性图标，可用对勾和叉号标出优劣。",
        "problem_solution": "问题一侧配警示类图标，对策一侧配灯泡或对勾图标，形成鲜明对照。",
        "hierarchical": "各层级之间用连接线相连，每一层可配一个小图标标示其作用。",
        "classification": "卡片图标风格统一，如果空间允许，可在右侧放一张窄幅配图展示实际场景。",
    },
    "purpose": {
        "lesson_introduction": "作为课程的开篇内容，页面语气亲切，可搭配一幅引出主题的情境插画。",
        "concept_explanation": "页面重在讲清概念，文字简明，关键术语用加粗或强调色突出。",
        "comparison_analysis": "页面重在比较分析，底部可留出一行用于写出对比结论。",
        "problem_discussion": "页面重在引发思考与讨论，可在角落放一个问号图标作为提示。",
    },
    "content_style": [
        "标题使用主色加粗，要点编号或小标题使用强调色，正文使用深灰色，背景保持浅色。",
        "各区块间距均匀，页面边缘保留充足留白，文字不贴边，整体不显拥挤。",
    ],
    "padding": [
        "字体、图标线条和配色与整套《{deck}》保持一致。",
        "文字保持简洁，每个要点控制在一到两行，方便观众快速阅读。",
        "视觉层次清楚：观众先看到标题，再看到要点，最后才注意到辅助图形。",
    ],
}

_EN = {
    "joiner": " ",
    "items_share": 0.4,
    "text_limits": (None, 40, 28, 18),
    "label": "{}",
    "no_label": "a new part",
    "list_sep": "; ",
    "more": " and more",
    "quote": "“{}”",
    "item": "“{title}” ({text})",
    "cover": [
        "The cover shows the deck title “{title}” in large bold type as the visual centre.",
        "Text fills the left half; the right half holds an illustration that sets the mood.",
        "The illustration is simple and modern, in the template colours, with no extra text.",
        "The title uses the primary colour, the subtitle a softer tone, small shapes the accent.",
        "Generous margins keep the cover clean and open.",
    ],
    "subtitle": "Below it sits the subtitle “{subtitle}” in a smaller, lighter weight.",
    "no_subtitle": "There is no subtitle; a thin accent line sits under the title instead.",
    "contents": [
        "The contents page “{title}” of “{deck}” lists {count} sections.",
        "Each row pairs a large number on the left with the section title, evenly spaced.",
        "A small line icon can sit beside each number, with a narrow decorative band aside.",
        "Numbers use the accent colour, titles the primary colour, dividers light grey.",
        "The list is vertically centred with ample whitespace and no extra text.",
    ],
    "contents_items": "In order: {list}.",
    "transition": [
        "This transition page opens {label} of “{deck}”: “{title}”.",
        "A large section number and the title form the focal point, slightly left of centre.",
        "The background is a block or soft gradient of the primary colour with one line icon.",
        "The number is in the accent colour, the title bold; everything else stays muted.",
        "No body text: plenty of whitespace gives the audience a pause before the new part.",
    ],
    "ending": [
        "This closing page of “{deck}” shows “{title}” large and centred.",
        "A small line under the title leaves room for thanks or a prompt for questions.",
        "The background echoes the cover's colours and illustration style.",
        "The title uses the primary colour with small accent-colour touches.",
        "Plenty of whitespace gives the deck a calm finish.",
    ],
    "image": [
        "This image page of “{deck}” is titled “{title}”.",
        "One large picture on the topic fills the page; the title sits on a band in a corner.",
        "The picture may be a photo or an illustration in the deck's colour tone, free of clutter.",
        "Text is limited to the title and at most a short caption.",
        "Margins keep the picture clear of the page edges.",
    ],
    "content": "Content page “{title}”, part of “{section}”, title at the top left.",
    "content_no_section": "Content page “{title}” of “{deck}”, title at the top left.",
    "items": "The body presents {count} points: {list}.",
    "no_items": "There are no body points; the title and one supporting image carry the page.",
    "children": "Under {parent} sit {children}, indented in smaller type.",
    "layout": {
        "sequential": "The points run left to right as numbered steps joined by arrows.",
        "comparison": "A two-column comparison puts matching points on the same row.",
        "problem_solution": "Problems sit on the left, their solutions on the right, with arrows.",
        "hierarchical": "A hierarchy tree puts the core idea on top, the points branching below.",
        "classification": "A grid of {count} equal cards, each with an icon and a bold heading.",
    },
    "visual": {
        "sequential": "Each step has a line icon and a round number badge; no photos needed.",
        "comparison": "A thin divider splits the columns; ticks and crosses mark trade-offs.",
        "problem_solution": "Warning icons mark problems; lightbulb or check icons mark solutions.",
        "hierarchical": "Connector lines link the levels, each level with a small icon.",
        "classification": "Card icons share one style; a narrow photo may sit at the right.",
    },
    "purpose": {
        "lesson_introduction": "As the lesson opener, the page feels welcoming and inviting.",
        "concept_explanation": "The page explains a concept, so key terms stand out in bold.",
        "comparison_analysis": "A one-line conclusion space sits at the bottom.",
        "problem_discussion": "A small question-mark icon in a corner invites discussion.",
    },
    "content_style": [
        "The title is bold in the primary colour, numbers in the accent colour, text dark grey.",
        "Blocks are evenly spaced with wide margins, so the page never feels crowded.",
    ],
    "padding": [
        "Fonts, icon strokes and colours match the rest of “{deck}”.",
        "Each point stays within one or two lines so it reads quickly.",
        "The eye meets the title first, then the points, then the supporting graphics.",
    ],
}
_PHRASES = {"zh": _ZH, "en": _EN}


def describe_page(page: dict, *, deck_title: str, detail: int = 2, max_chars: int = 400) -> str:
    """A plain-text description of the page's content, layout and visuals (≤ max_chars).

    The core sentences (what the page is, its title, subtitle or label, and its body items)
    always come first; `detail` (1..3) sets how many layout/visual sentences follow (2, 4 or
    all); further ones are added while the text is shorter than TARGET_MIN_CHARS. A sentence
    that would pass max_chars is left out, so the text ends at a sentence boundary.
    """
    phrases = _PHRASES["zh" if page.get("language") == "zh" else "en"]
    values = _values(page, deck_title, phrases, max_chars)
    core, extras = _sentences(page, values, phrases)
    wanted = _EXTRAS_BY_DETAIL[min(3, max(1, detail))]
    return _fit(core + extras[:wanted], extras[wanted:], phrases["joiner"], max_chars)


def check_description(
    text: str, page: dict, *, min_chars: int = 200, max_chars: int = 400
) -> tuple[float, dict, list[str]]:
    """Score a description 0-10 with metrics and hints.

    Deductions: too short 3, too long 2, page title (or its first 12 characters) missing 3,
    Markdown left over (a heading #, **, __, backticks, "- " at a line start, [x](y)) 2.
    """
    title = _plain(page.get("title", ""))
    markdown = [name for name, pattern in _MARKDOWN.items() if pattern.search(text)]
    metrics = {
        "chars": len(text),
        "min_chars": min_chars,
        "max_chars": max_chars,
        "length_ok": min_chars <= len(text) <= max_chars,
        "title_present": title[:12] in text,
        "markdown_left": markdown,
    }
    checks = {
        "too_short": (len(text) < min_chars, 3.0),
        "too_long": (len(text) > max_chars, 2.0),
        "title_missing": (not metrics["title_present"], 3.0),
        "markdown_left": (bool(markdown), 2.0),
    }
    hints = [hint for hint, (failed, _) in checks.items() if failed]
    score = 10.0 - sum(deduction for failed, deduction in checks.values() if failed)
    return max(score, 0.0), metrics, hints


def _plain(text: str) -> str:
    """Text without Markdown markers (list markers, heading hashes, bold, code, links)."""
    text = re.sub(r"(?m)^\s*[-*+]\s+", "", str(text))
    text = re.sub(r"(?:^|(?<=\s))#{1,6}(?=\s|$)", "", text)
    return clean_inline(text.replace("__", ""))


def _values(page: dict, deck_title: str, phrases: dict, max_chars: int) -> dict:
    title = _plain(page.get("title", ""))
    subtitle = _plain(page.get("subtitle", ""))
    return {
        "title": title,
        "deck": _plain(deck_title) or title,
        "subtitle": subtitle,
        "label": phrases["label"].format(subtitle) if subtitle else phrases["no_label"],
        "section": _plain(page.get("section", "")),
        "count": len(page.get("items", [])),
        "budget": int(max_chars * phrases["items_share"]),
    }


def _sentences(page: dict, values: dict, phrases: dict) -> tuple[list[str], list[str]]:
    """(core sentences, optional sentences by importance); unknown kinds read as content."""
    kind = page.get("kind", "content")
    padding = [sentence.format(**values) for sentence in phrases["padding"]]
    if kind in _FRAMED_KINDS:
        first, *extras = [sentence.format(**values) for sentence in phrases[kind]]
        return [first, *_kind_details(kind, page, values, phrases)], extras + padding
    extras = _content_extras(page, values, phrases)
    return _content_core(page, values, phrases), extras + padding


def _kind_details(kind: str, page: dict, values: dict, phrases: dict) -> list[str]:
    if kind == "cover":
        return [phrases["subtitle" if values["subtitle"] else "no_subtitle"].format(**values)]
    if kind == "contents" and page.get("items"):
        names = [phrases["quote"].format(_item_label(item)) for item in page["items"]]
        return [phrases["contents_items"].format(list=_join(names, phrases, values["budget"]))]
    if page.get("items") and kind != "transition":
        return [_items_sentence(page["items"], values, phrases)]
    return []


def _content_core(page: dict, values: dict, phrases: dict) -> list[str]:
    in_section = values["section"] and values["section"] != values["title"]
    first = phrases["content" if in_section else "content_no_section"].format(**values)
    if not page.get("items"):
        return [first, phrases["no_items"]]
    return [first, _items_sentence(page["items"], values, phrases)]


def _content_extras(page: dict, values: dict, phrases: dict) -> list[str]:
    features = page.get("semanticFeatures") or {}
    logic = features.get("logicType", "classification")
    purpose = features.get("contentType", "concept_explanation")
    extras = [
        phrases["layout"].get(logic, phrases["layout"]["classification"]).format(**values),
        *_children_sentence(page.get("items", []), phrases),
        phrases["visual"].get(logic, phrases["visual"]["classification"]),
        phrases["purpose"].get(purpose, phrases["purpose"]["concept_explanation"]),
    ]
    return extras + phrases["content_style"]


def _children_sentence(items: list[dict], phrases: dict) -> list[str]:
    """One sentence naming the sub-points of the first item that has any."""
    parent = next((item for item in items if item.get("children")), None)
    if parent is None:
        return []
    children = [phrases["quote"].format(_plain(child)) for child in parent["children"]]
    separator = "、" if phrases is _ZH else ", "
    return [
        phrases["children"].format(
            parent=phrases["quote"].format(_item_label(parent)),
            children=separator.join(children[:3]),
        )
    ]


def _items_sentence(items: list[dict], values: dict, phrases: dict) -> str:
    """The body items, with their texts shortened or left out until the list fits the budget."""
    budget = values["budget"]
    for limit in phrases["text_limits"]:
        parts = [_item_phrase(item, phrases, limit) for item in items]
        if len(phrases["list_sep"].join(parts)) <= budget:
            break
    else:
        parts = [phrases["quote"].format(_item_label(item)) for item in items]
    return phrases["items"].format(count=values["count"], list=_join(parts, phrases, budget))


def _item_label(item: dict) -> str:
    return _plain(item.get("title") or item.get("text", ""))


def _item_phrase(item: dict, phrases: dict, limit: int | None) -> str:
    title, text = _plain(item.get("title", "")), _plain(item.get("text", ""))
    if limit:
        text = _shorten(text, limit)
    if title and text:
        return phrases["item"].format(title=title, text=text)
    return phrases["quote"].format(title or text)


def _shorten(text: str, limit: int) -> str:
    """Cut text to at most `limit` characters (at a word boundary for English) with '…'."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not re.search(r"[\u3400-\u9fff]", cut):
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,，、;；:：") + "…"


def _join(parts: list[str], phrases: dict, budget: int) -> str:
    """Join list parts; when they pass the budget keep the first ones and add '等' / 'and more'."""
    separator = phrases["list_sep"]
    for keep in range(len(parts), 1, -1):
        suffix = "" if keep == len(parts) else phrases["more"]
        joined = separator.join(parts[:keep]) + suffix
        if len(joined) <= budget:
            return joined
    return parts[0] + (phrases["more"] if len(parts) > 1 else "")


def _fit(wanted: list[str], padding: list[str], joiner: str, max_chars: int) -> str:
    """Join the wanted sentences that fit, then padding ones while under TARGET_MIN_CHARS.

    The first sentence (it names the page) is always kept, shortened if it alone is too long.
    """
    if len(wanted[0]) > max_chars:
        return _shorten(wanted[0], max_chars)
    chosen: list[str] = []
    for sentence in wanted:
        if len(joiner.join([*chosen, sentence])) <= max_chars:
            chosen.append(sentence)
    for sentence in padding:
        if len(joiner.join(chosen)) >= TARGET_MIN_CHARS:
            break
        if len(joiner.join([*chosen, sentence])) <= max_chars:
            chosen.append(sentence)
    return joiner.join(chosen)

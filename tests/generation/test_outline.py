import json
from pathlib import Path

import pytest

from generation.planning.outline import OutlineError, parse_outline

SAMPLES = Path(__file__).resolve().parents[2] / "generation" / "samples"


def _page_titles(outline: dict) -> list[str]:
    return [page["title"] for section in outline["sections"] for page in section["pages"]]


def _items(outline: dict, page_title: str) -> list[dict]:
    pages = [page for section in outline["sections"] for page in section["pages"]]
    return next(page["items"] for page in pages if page["title"] == page_title)


# Markdown


def test_markdown_outline_has_title_subtitle_sections_pages_and_items():
    outline = parse_outline(
        "# Remote work\nA playbook for teams\n\n## Why\n### Benefits\n- Focus\n- No commute\n"
        "### Costs\n- Isolation\n## How\n### Tools\n- Chat\n"
    )

    assert outline["title"] == "Remote work"
    assert outline["subtitle"] == "A playbook for teams"
    assert outline["language"] == "en"
    assert [section["title"] for section in outline["sections"]] == ["Why", "How"]
    assert _page_titles(outline) == ["Benefits", "Costs", "Tools"]
    assert _items(outline, "Benefits") == [
        {"title": "Focus", "text": "", "children": []},
        {"title": "No commute", "text": "", "children": []},
    ]
    assert outline["headings"] == ["Remote work", "Why", "Benefits", "Costs", "How", "Tools"]


def test_chinese_markdown_outline_is_parsed_and_detected_as_chinese():
    outline = parse_outline(
        "# 人工智能走进课堂\n面向教师\n## 认识AI\n### 什么是AI\n- 定义：机器学习\n- 应用\n"
    )

    assert outline["title"] == "人工智能走进课堂"
    assert outline["subtitle"] == "面向教师"
    assert outline["language"] == "zh"
    assert outline["sections"][0]["title"] == "认识AI"
    assert _items(outline, "什么是AI")[0] == {"title": "定义", "text": "机器学习", "children": []}


def test_bullets_of_every_kind_become_items():
    outline = parse_outline(
        "# Deck\n## Page\n- dash\n* star\n+ plus\n• dot\n1. numbered\n2) paren\n"
        "（3）全角\n① circled\n"
    )

    titles = [item["title"] for item in _items(outline, "Page")]
    assert titles == ["dash", "star", "plus", "dot", "numbered", "paren", "全角", "circled"]


def test_indented_bullets_become_children_of_the_item_above():
    outline = parse_outline(
        "# Deck\n## Page\n- Parent\n  - first child\n    - grandchild\n  1. numbered child\n"
        "- Sibling\n"
    )

    parent, sibling = _items(outline, "Page")
    assert parent["children"] == ["first child", "grandchild", "numbered child"]
    assert sibling == {"title": "Sibling", "text": "", "children": []}


def test_level_two_headings_without_level_three_are_pages_of_one_untitled_section():
    outline = parse_outline("# 产品发布\n## 为什么\n- 市场空白\n## 怎么做\n- 开发\n- 测试\n")

    assert len(outline["sections"]) == 1
    assert outline["sections"][0]["title"] == ""
    assert _page_titles(outline) == ["为什么", "怎么做"]


def test_plain_paragraph_lines_under_a_page_become_text_items():
    outline = parse_outline("# Deck\n## Page\nThis is a paragraph.\n- Point\n")

    assert _items(outline, "Page") == [
        {"title": "", "text": "This is a paragraph.", "children": []},
        {"title": "Point", "text": "", "children": []},
    ]


def test_indented_plain_line_continues_the_item_above():
    outline = parse_outline("# Deck\n## Page\n- Point: first half\n  second half\n")

    assert _items(outline, "Page") == [
        {"title": "Point", "text": "first half second half", "children": []}
    ]


def test_inline_markdown_is_reduced_to_plain_text():
    outline = parse_outline("# **Deck**\n## `Page`\n- **Bold**: see [the docs](https://x.y)\n")

    assert outline["title"] == "Deck"
    assert _items(outline, "Page") == [{"title": "Bold", "text": "see the docs", "children": []}]


# numbered outlines


def test_numbered_outline_makes_top_level_numbers_sections_and_dotted_numbers_pages():
    outline = parse_outline(
        "Project Kickoff\nGoals for Q3\n\n1. Context\n1.1 Where we are\n- Revenue flat\n"
        "1.2. Why now\n- New competitor\n2、Plan\n2.1 Milestones\n  1. Design by July\n"
        "  2. Beta by August\n"
    )

    assert outline["title"] == "Project Kickoff"
    assert outline["subtitle"] == "Goals for Q3"
    assert [section["title"] for section in outline["sections"]] == ["Context", "Plan"]
    assert _page_titles(outline) == ["Where we are", "Why now", "Milestones"]
    assert [item["title"] for item in _items(outline, "Milestones")] == [
        "Design by July",
        "Beta by August",
    ]


def test_numbered_outline_title_may_be_a_markdown_heading():
    outline = parse_outline("# 数据安全培训\n1. 基本概念\n1.1 什么是数据安全\n- 保护数据\n")

    assert outline["title"] == "数据安全培训"
    assert outline["sections"][0]["title"] == "基本概念"
    assert _page_titles(outline) == ["什么是数据安全"]


def test_top_level_numbers_without_dotted_pages_are_pages():
    outline = parse_outline("Team offsite\n1. Welcome\n- Agenda\n2. Retrospective\n- Wins\n")

    assert outline["sections"][0]["title"] == ""
    assert _page_titles(outline) == ["Welcome", "Retrospective"]


# Chinese numbering


def test_chinese_numbering_sections_with_parenthesised_pages():
    outline = parse_outline(
        "人工智能与教育\n一、背景\n（一）政策环境\n- 国家出台政策\n(二)技术进展\n1. 大模型\n"
        "2. 成本下降\n二、实践\n（一）课堂应用\n- 智能批改\n"
    )

    assert [section["title"] for section in outline["sections"]] == ["背景", "实践"]
    assert _page_titles(outline) == ["政策环境", "技术进展", "课堂应用"]
    assert [item["title"] for item in _items(outline, "技术进展")] == ["大模型", "成本下降"]


def test_chinese_chapter_and_part_sections_with_numbered_pages():
    outline = parse_outline(
        "智慧校园建设\n第一部分 现状\n1、基础设施\n- 网络覆盖\n2、数据平台\n- 数据孤岛\n"
        "第二章：规划\n1、近期目标\n- 统一身份认证\n"
    )

    assert [section["title"] for section in outline["sections"]] == ["现状", "规划"]
    assert _page_titles(outline) == ["基础设施", "数据平台", "近期目标"]


def test_chinese_sections_with_dotted_pages():
    outline = parse_outline("课程\n一、导论\n1.1 课程目标\n- 目标一\n1.2 课程安排\n- 每周两次\n")

    assert outline["sections"][0]["title"] == "导论"
    assert _page_titles(outline) == ["课程目标", "课程安排"]


# item titles and texts


@pytest.mark.parametrize(
    ("line", "title", "text"),
    [
        ("基本含义：让机器完成任务", "基本含义", "让机器完成任务"),
        ("基本含义:让机器完成任务", "基本含义", "让机器完成任务"),
        (
            "Definition: work done away from the office",
            "Definition",
            "work done away from the office",
        ),
        ("Step 1: ship the laptop", "Step 1", "ship the laptop"),
        ("这是一个很长很长的句子它的冒号前面部分超过了二十个汉字：后面", None, ""),
        ("This phrase has far too many words before it: text", None, ""),
        ("Meet at 10:30 in the hall", None, ""),
        ("See https://example.org", None, ""),
        ("Ends with a colon:", None, ""),
    ],
)
def test_item_splits_into_title_and_text_at_the_first_colon_only_when_the_title_is_short(
    line, title, text
):
    outline = parse_outline(f"# Deck\n## Page\n- {line}\n")

    item = _items(outline, "Page")[0]
    assert (item["title"], item["text"]) == (title or line, text)


# language, samples, serialisation


def test_language_is_chinese_when_cjk_characters_are_at_least_a_fifth_of_the_letters():
    mostly_english = parse_outline("# Deck about AI in classrooms\n## Page\n- 教育 plus English\n")
    chinese_with_terms = parse_outline("# AI课堂\n## ChatGPT的用法\n- 写作辅助\n")

    assert mostly_english["language"] == "en"
    assert chinese_with_terms["language"] == "zh"


@pytest.mark.parametrize(
    ("name", "language", "sections"),
    [("ai-classroom-zh.md", "zh", 3), ("remote-work-en.md", "en", 3)],
)
def test_bundled_samples_parse(name, language, sections):
    outline = parse_outline((SAMPLES / name).read_text(encoding="utf-8"))

    assert outline["language"] == language
    assert outline["title"]
    assert outline["subtitle"]
    assert len(outline["sections"]) == sections
    for section in outline["sections"]:
        assert 2 <= len(section["pages"]) <= 3
        assert all(3 <= len(page["items"]) <= 5 for page in section["pages"])


def test_outline_is_json_serialisable_and_keeps_chinese_text():
    outline = parse_outline((SAMPLES / "ai-classroom-zh.md").read_text(encoding="utf-8"))

    dumped = json.dumps(outline, ensure_ascii=False)
    assert "人工智能走进课堂" in dumped
    assert json.loads(dumped) == outline


# errors


@pytest.mark.parametrize("text", ["", "   \n\t\n", "---\n"])
def test_empty_outline_is_rejected(text):
    with pytest.raises(OutlineError, match="the outline is empty"):
        parse_outline(text)


@pytest.mark.parametrize(
    "text",
    [
        "Make a deck about remote work for managers",
        "帮我做一个关于人工智能走进课堂的课件",
        "# Remote work",
        "# 人工智能走进课堂\n面向中小学教师",
    ],
)
def test_brief_or_title_only_text_asks_for_an_outline_or_a_text_model(text):
    with pytest.raises(OutlineError, match="needs an outline or a text model") as error:
        parse_outline(text)

    assert "choose a text provider" in str(error.value)


def test_outline_without_any_title_or_heading_is_rejected():
    with pytest.raises(OutlineError, match="needs a title"):
        parse_outline("- one\n- two\n")


def test_outline_without_title_line_takes_the_first_heading_as_title():
    outline = parse_outline("## Kickoff\n- Agenda\n## Plan\n- Dates\n")

    assert outline["title"] == "Kickoff"
    assert _page_titles(outline) == ["Kickoff", "Plan"]

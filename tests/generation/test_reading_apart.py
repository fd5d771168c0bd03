"""Marks that are no text kept out of a line's reading (an accent bar beside a card's title),
and the regions of a line still failing after every reading read once more one by one (a
crop's reading changes with the crops stacked with it) and, beside each other on a row,
joined (a character the region finder cut a line at); one wrong character still fails, on
both image-model paths."""

import random

import pytest

from generation.quality.garble import degrade
from generation.quality.image_checks import assess_slide
from generation.quality.text_check import plan_lines
from tests.generation.test_quality_checks import needs_tesseract
from tests.generation.test_reading_pieces import SIZE, render, with_title

FRIENDLY = 2  # the starter template with rounded cards and an accent bar on each one's left
# bench_text_check's slide 525 (search-talk-en.md, template 2, problem_solution)
TAKEAWAYS = {
    "kind": "content",
    "title": "Takeaways",
    "subtitle": "",
    "items": [
        {"title": title, "text": "", "children": []}
        for title in ("Go", "Measure first", "Ship small, ship often", "Q&A")
    ],
    "language": "en",
}


def failing(render_, plan: dict, path: str, degradation: str) -> list[str]:
    """The planned lines a path without boxes flags: slide (degraded as the bench degrades the
    slide named by degradation, its seed), slide_clean (the render itself)."""
    rng = random.Random(degradation)
    image = degrade(render_.image, rng) if path == "slide" else render_.image
    result = assess_slide(
        image, expected_size=SIZE, boxes=None, safe_box=None, expected_lines=plan_lines(plan)
    )
    return [row["expected"] for row in result.metrics["ocr_boxes"] if row["failed"]]


@needs_tesseract
@pytest.mark.parametrize("path", ["slide", "slide_clean"])
def test_an_accent_bar_left_of_a_cards_title_is_not_read_as_part_of_it(path):
    # Before: on the bench's degradation of this slide the bars were not taken out as rules
    # (too thick) and each card's bar and title were one region: "| Ship small, ship often",
    # "| Q&A", an inserted character.
    slide = render(TAKEAWAYS, "problem_solution", FRIENDLY)
    assert failing(slide, TAKEAWAYS, path, "12:525:clean") == []


@needs_tesseract
@pytest.mark.parametrize("path", ["slide", "slide_clean"])
@pytest.mark.parametrize(
    ("item", "old", "new"),
    [(3, "Q&A", "IQ&A"), (2, "Ship", "I Ship"), (2, "often", "oftten")],
    ids=["letter-after-bar", "word-after-bar", "insert"],
)
def test_a_character_added_beside_an_accent_bar_is_caught(path, item, old, new):
    # A capital I is as thin as the bar but no taller than its line: it stays in the region.
    garbled = with_title(TAKEAWAYS, item, old, new)
    slide = render(garbled, "problem_solution", FRIENDLY)
    expected = [TAKEAWAYS["items"][item]["title"]]
    assert failing(slide, TAKEAWAYS, path, "12:525:clean") == expected


def section(title: str, subtitle: str, index: int, language: str) -> dict:
    return {
        "kind": "transition",
        "title": title,
        "subtitle": subtitle,
        "section": title,
        "section_index": index,
        "items": [],
        "language": language,
    }


# bench_text_check's slides 375 (academic serif, seed 12) and 579 (bold circles, seed 13)
PART_ONE = (section("背景与挑战", "第一部分", 1, "zh"), 6, "12:375:clean")
PART_TWO = (section("What we changed", "Part 2", 2, "en"), 7, "13:579:clean")


@needs_tesseract
@pytest.mark.parametrize("path", ["slide", "slide_clean"])
@pytest.mark.parametrize(("plan", "template", "degradation"), [PART_ONE, PART_TWO])
def test_a_section_pages_small_subtitle_is_read(path, plan, template, degradation):
    # Before, degraded: 第一部分 read "第 - -部分" (its faint 一 lost, the line cut in two
    # there, each half read with a piece of it), "Part 2" read empty in every stacked reading
    # beside the big badge "02" and the title (the badge was matched instead).
    slide = render(plan, "", template)
    assert failing(slide, plan, path, degradation) == []


@needs_tesseract
@pytest.mark.parametrize("path", ["slide", "slide_clean"])
@pytest.mark.parametrize(
    ("plan", "template", "degradation", "new"),
    [
        (*PART_ONE, "第部分"),
        (*PART_ONE, "第二部分"),
        (*PART_ONE, "第一部部分"),
        (*PART_TWO, "Part"),
        (*PART_TWO, "Part 3"),
        (*PART_TWO, "Parts 2"),
    ],
    ids=["zh-delete", "zh-look-alike", "zh-insert", "en-delete", "en-digit", "en-insert"],
)
def test_one_wrong_character_in_a_section_pages_subtitle_is_caught(
    path, plan, template, degradation, new
):
    slide = render({**plan, "subtitle": new}, "", template)
    assert failing(slide, plan, path, degradation) == [plan["subtitle"]]


# bench_text_check's slide 39 (ai-classroom-zh.md, template 3, problem_solution)
TEACHER_ZH = {
    "kind": "content",
    "title": "什么是教育人工智能",
    "subtitle": "",
    "items": [
        {"title": "基本含义", "text": "让机器完成识别、推理和生成等任务的技术", "children": []},
        {"title": "常见形态", "text": "智能批改、学习分析和对话助手", "children": []},
        {"title": "与教师的关系", "text": "辅助教学，而不是替代教师", "children": []},
    ],
    "language": "zh",
}


@needs_tesseract
def test_a_glyph_misread_in_every_stacked_reading_passes_when_read_alone():
    # Before: 替代 read 蔡代 in all seven stacked readings of the clean render.
    slide = render(TEACHER_ZH, "problem_solution", 3)
    assert failing(slide, TEACHER_ZH, "slide_clean", "") == []


@needs_tesseract
@pytest.mark.parametrize(
    ("old", "new"),
    [("替代", "蔡代"), ("替代", "代替"), ("替代", "替替代"), ("替代", "代")],
    ids=["look-alike", "swap", "insert", "delete"],
)
def test_one_wrong_character_beside_a_glyph_read_alone_is_caught(old, new):
    garbled = {**TEACHER_ZH, "items": [dict(item) for item in TEACHER_ZH["items"]]}
    garbled["items"][2]["text"] = garbled["items"][2]["text"].replace(old, new)
    slide = render(garbled, "problem_solution", 3)
    assert failing(slide, TEACHER_ZH, "slide_clean", "") == ["辅助教学，而不是替代教师"]

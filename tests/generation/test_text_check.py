"""The text check compares every planned line with the slide, one wrong character is enough."""

from __future__ import annotations

import pytest

from generation.quality.text_check import Line, plan_lines
from generation.quality.textdiff import compare, distance, fold
from generation.render.renderer import render_slide
from generation.slides import Theme
from templates_app.starter import STARTERS
from tests.generation.test_quality_checks import (
    EN_ITEMS,
    ZH_ITEMS,
    Text,
    assess,
    content_slide,
    draw_slide,
    lines,
    needs_tesseract,
)

PLAN = {
    "kind": "content",
    "title": "Quarterly review",
    "subtitle": "",
    "items": [
        {"title": "Revenue", "text": "grew 5% year over year", "children": ["Europe led", " "]},
        {"title": "", "text": "Costs fell", "children": []},
    ],
    "language": "en",
}


def failing(result) -> list[tuple[str, str]]:
    return [(row["expected"], row["got"]) for row in result.metrics["ocr_boxes"] if row["failed"]]


# --- rules on text ------------------------------------------------------------------------


def test_plan_lines_are_title_subtitle_items_and_their_children_in_reading_order():
    assert plan_lines(PLAN) == [
        Line("title", "Quarterly review"),
        Line("item_title", "Revenue"),
        Line("item_text", "grew 5% year over year"),
        Line("item_text", "Europe led"),
        Line("item_text", "Costs fell"),
    ]


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("Office 2024", "0ffice 2O24"),
        ("Il1 list", "|ll 1ist"),
        ("5 steps", "S $teps"),
        ("3×4", "3x4"),
        ("下一步：扩大", "下一步:扩大"),
        ("ＡＢＣ１２３", "abc123"),
    ],
)
def test_look_alikes_ocr_confuses_are_folded(expected, got):
    assert distance(expected, got) == 0
    assert compare(expected, got).distance == 0


def test_folding_keeps_other_characters_apart():
    assert fold("Office") == "0ff1ce"
    assert distance("Revenue grew 5%", "Revenue grew 6%") == 1
    assert distance("己经完成", "已经完成") == 1
    assert compare("Costs fell", "Costs fel").diff == "costsfel[-l-]"  # shown unfolded


# --- per box (local renders) ----------------------------------------------------------------


@needs_tesseract
@pytest.mark.parametrize(
    ("expected", "shown"),
    [
        (
            "Customer satisfaction reached a record high",
            "Customer satisfaction reached a record nigh",
        ),
        (
            "Customer satisfaction reached a record high",
            "Customer satisfaction reached a record hig",
        ),
        (
            "Customer satisfaction reached a record high",
            "Customer satisfaction reached a records high",
        ),
        ("Costs fell sharply in the third quarter", "Costs fell sharply in the quarter"),
    ],
)
def test_one_wrong_character_or_word_in_a_long_line_fails(expected, shown):
    texts = [*content_slide(EN_ITEMS[:3], "Review"), Text(expected, 120, 580, shown=shown)]
    result = assess(*draw_slide(texts), ocr=True)
    assert result.hints == ["ocr_mismatch"]
    assert failing(result) == [(expected, shown)]
    assert result.score < 7


@needs_tesseract
def test_one_wrong_character_in_a_chinese_line_fails():
    texts = [
        *content_slide(ZH_ITEMS[:3], "季度业务回顾"),
        Text(ZH_ITEMS[3], 120, 580, shown="两款新产品在欧洲市场发市"),
    ]
    result = assess(*draw_slide(texts), ocr=True)
    assert failing(result) == [(ZH_ITEMS[3], "两款新产品在欧洲市场发市")]


@needs_tesseract
def test_the_plan_is_the_reference_not_the_renderers_own_boxes():
    # The renderer drew (and boxed) a garbled line: its boxes agree with its image.
    garbled = [*EN_ITEMS[:2], "Customer satisfaction reached a record low", *EN_ITEMS[3:]]
    image, boxes = draw_slide(content_slide(garbled, "Review"))
    result = assess(image, boxes, expected_lines=lines("Review", EN_ITEMS), ocr=True)
    assert failing(result) == [(EN_ITEMS[2], "Customer satisfaction reached a record low")]
    assert assess(image, boxes, ocr=True).hints == []  # against its own boxes it looks fine


@needs_tesseract
def test_a_planned_line_missing_from_the_slide_fails():
    image, boxes = draw_slide(content_slide(EN_ITEMS[:4], "Review"))
    result = assess(image, boxes, expected_lines=lines("Review", EN_ITEMS), ocr=True)
    assert failing(result) == [(EN_ITEMS[4], "")]
    assert result.metrics["ocr_mismatch_boxes"] == 1


@needs_tesseract
def test_a_render_showing_fewer_items_than_planned_fails():
    plan = {
        "kind": "content",
        "title": "Onboarding in four steps",
        "subtitle": "",
        "items": [
            {"title": f"Step {n}", "text": text, "children": []}
            for n, text in enumerate(
                [
                    "Ship the laptop",
                    "Pair with a buddy",
                    "Read the handbook",
                    "Ship something small",
                ],
                1,
            )
        ],
        "semanticFeatures": {"logicType": "sequential", "contentType": "concept_explanation"},
        "language": "en",
    }
    full = render_slide(plan, Theme(), (1536, 864))
    fewer = render_slide(plan, Theme(), (1536, 864), {"max_items": 3})
    kwargs = {"expected_lines": plan_lines(plan), "safe_box": None, "ocr": True}
    assert assess(full.image, full.boxes, **kwargs).hints == []
    result = assess(fewer.image, fewer.boxes, **kwargs)
    assert result.hints == ["ocr_mismatch"]
    assert failing(result) == [("Step 4", ""), ("Ship something small", "")]


@needs_tesseract
@pytest.mark.parametrize(("expected", "shown"), [("A", "B"), ("人", "大")])
def test_a_wrong_box_of_one_character_fails_when_two_readings_agree(expected, shown):
    texts = [
        *content_slide(["Go", expected], "Options"),
    ]
    texts[-1] = Text(expected, texts[-1].x, texts[-1].y, shown=shown)
    result = assess(*draw_slide(texts), ocr=True)
    assert failing(result) == [(expected, shown)]


COVER_ZH = {
    "kind": "cover",
    "title": "大模型推理加速实践",
    "subtitle": "2025 全球人工智能技术大会 · 主题演讲",
    "items": [],
    "language": "zh",
}


def cover_theme() -> Theme:
    spec = STARTERS[4]
    return Theme.from_palette(
        spec["palette"], reference_image=spec["draw"](spec["palette"]), style=spec["style"]
    )


def boxed(plan: dict):
    render = render_slide(plan, cover_theme(), (1536, 864), {})
    return assess(render.image, render.boxes, expected_lines=plan_lines(COVER_ZH), ocr=True)


@needs_tesseract
def test_a_title_both_readings_misread_passes_when_another_mode_reads_it_exactly():
    # The cover's bold title wraps into two lines: read 人全人科吕 at 1.0 and 人全下科呈 at
    # 0.6 of the size, so a clean cover failed.
    assert failing(boxed(COVER_ZH)) == []


@needs_tesseract
def test_one_wrong_character_in_that_title_still_fails_in_every_mode():
    result = boxed({**COVER_ZH, "title": "大模型推理加快实践"})
    assert [expected for expected, _ in failing(result)] == [COVER_ZH["title"]]


@needs_tesseract
def test_a_character_inserted_is_caught_though_a_mode_drops_it():
    # The 0.8-across mode reads 人工我智能走进课堂 as 人工智能走进课堂: a later reading shorter
    # than the first is not taken.
    plan = {**COVER_ZH, "title": "人工智能走进课堂", "subtitle": "面向中小学教师的实践指南"}
    spec = STARTERS[0]
    theme = Theme.from_palette(
        spec["palette"], reference_image=spec["draw"](spec["palette"]), style=spec["style"]
    )
    render = render_slide({**plan, "title": "人工我智能走进课堂"}, theme, (1536, 864), {})
    result = assess(render.image, render.boxes, expected_lines=plan_lines(plan), ocr=True)
    assert [expected for expected, _ in failing(result)] == ["人工智能走进课堂"]

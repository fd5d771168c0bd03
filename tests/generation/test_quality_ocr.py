"""The OCR part of a rendered slide's quality check, on slides drawn here with Pillow: boxes
read in English, Chinese and both, short, light, coloured and small text, a box whose drawn
text differs, a slide without boxes; skipped with a reason without tesseract or its data."""

from dataclasses import replace

import pytest

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


def test_ocr_disabled_is_skipped_without_hint():
    image, boxes = draw_slide(content_slide(EN_ITEMS, "Review", shown="Something else"))
    result = assess(image, boxes, ocr=False)
    assert result.metrics["ocr_skipped"] == "disabled"
    assert result.metrics["ocr_cer"] is None
    assert result.metrics["ocr_boxes"] is None
    assert result.hints == []


def test_ocr_without_tesseract_is_skipped_with_a_reason(settings):
    settings.NANODECK = {**settings.NANODECK, "TESSERACT_LIBRARY": "/nonexistent/libtesseract.so.5"}
    result = assess(*draw_slide(content_slide(EN_ITEMS, "Review")), ocr=True)
    assert result.metrics["ocr_skipped"] == "tesseract is not installed"
    assert result.metrics["ocr_mismatch_boxes"] is None
    assert result.hints == []
    assert result.score >= 8.5


@needs_tesseract
def test_ocr_with_missing_language_data_is_skipped_with_a_reason():
    image, boxes = draw_slide(content_slide(EN_ITEMS, "Review"))
    result = assess(image, boxes, ocr=True, ocr_languages="eng+xx_missing")
    assert result.metrics["ocr_skipped"] == "tesseract language data missing: xx_missing"
    assert result.hints == []


@needs_tesseract
def test_ocr_reads_english_boxes():
    image, boxes = draw_slide(content_slide(EN_ITEMS, "Quarterly business review"))
    result = assess(image, boxes, ocr=True)
    assert result.metrics["ocr_cer"] <= 0.02
    assert result.metrics["ocr_languages"] == "eng"
    assert [row["expected"] for row in result.metrics["ocr_boxes"]] == [b.text for b in boxes]
    assert result.hints == []
    assert result.score >= 8.5


@needs_tesseract
@pytest.mark.parametrize(
    ("items", "title"), [(["a", "b", "Go"], "Options"), (["人", "大"], "方案")]
)
def test_ocr_reads_boxes_of_one_or_two_characters(items, title):
    image, boxes = draw_slide(content_slide(items, title))
    result = assess(image, boxes, ocr=True)
    assert [row["got"] for row in result.metrics["ocr_boxes"]] == [title, *items]
    assert result.metrics["ocr_mismatch_boxes"] == 0
    assert result.hints == []


@needs_tesseract
def test_ocr_reads_chinese_boxes():
    image, boxes = draw_slide(content_slide(ZH_ITEMS, "季度业务回顾"))
    result = assess(image, boxes, ocr=True)
    assert result.metrics["ocr_cer"] <= 0.05
    assert result.metrics["ocr_languages"] == "chi_sim"  # reads embedded English too
    assert result.hints == []
    assert result.score >= 8.5


@needs_tesseract
def test_ocr_reads_mixed_chinese_and_english_in_colour():
    texts = [
        Text("2024年Q3业务回顾 Business Review", 120, 60, 56, "#e07a24", "title", bold=True),
        Text("01", 120, 220, 48, "#ffffff", "number", bold=True),
        Text("AI 驱动的客户服务提升了 35% 的满意度", 220, 225, color="#1f3a5f"),
        Text("02", 120, 340, 48, "#ffffff", "number", bold=True),
        Text("成本下降：供应链优化（Supply chain）", 220, 345, color="#6b7280"),
    ]
    badges = (((110, 210, 200, 290), "#e07a24"), ((110, 330, 200, 410), "#e07a24"))
    result = assess(*draw_slide(texts, panels=badges), ocr=True)
    assert result.metrics["ocr_cer"] <= 0.05
    assert [row["cer"] for row in result.metrics["ocr_boxes"][1::2]] == [0.0, 0.0]  # badges
    assert result.hints == []


@needs_tesseract
def test_ocr_reads_light_text_on_a_dark_slide():
    texts = content_slide(ZH_ITEMS, "季度业务回顾", color="#f0f0f0")
    texts[0] = replace(texts[0], color="#ffffff")
    image, boxes = draw_slide(texts, background="#14213d")
    result = assess(image, boxes, ocr=True)
    assert result.metrics["ocr_cer"] <= 0.05
    assert result.hints == []


@needs_tesseract
def test_ocr_reads_small_text_by_upscaling_it():
    image, boxes = draw_slide(content_slide(EN_ITEMS, "Review", font_px=18))
    result = assess(image, boxes, ocr=True)
    assert result.metrics["ocr_cer"] <= 0.05
    assert result.hints == ["font_too_small"]


@needs_tesseract
def test_box_with_different_drawn_text_is_an_ocr_mismatch():
    drawn_wrong = Text("Costs fell sharply", 120, 660, shown="Revenue grew 5%")
    texts = [*content_slide(EN_ITEMS[1:], "Review"), drawn_wrong]
    image, boxes = draw_slide(texts)
    result = assess(image, boxes, ocr=True)
    assert result.hints == ["ocr_mismatch"]
    assert result.metrics["ocr_mismatch_boxes"] == 1
    row = result.metrics["ocr_boxes"][-1]
    assert row["expected"] == "Costs fell sharply"
    assert row["got"] == "Revenue grew 5%"
    assert row["cer"] > 0.2
    assert row["diff"] == "[costsfellsharply→revenuegrew5]"
    assert result.score < 7


@needs_tesseract
def test_ocr_without_boxes_finds_the_expected_texts_on_the_slide():
    image, _ = draw_slide(content_slide(ZH_ITEMS, "季度业务回顾"))
    result = assess(image, None, expected_lines=lines("季度业务回顾", ZH_ITEMS), ocr=True)
    assert result.metrics["ocr_cer"] <= 0.1
    assert len(result.metrics["ocr_boxes"]) == len(ZH_ITEMS) + 1
    assert result.hints == []


@needs_tesseract
def test_ocr_without_boxes_flags_text_missing_from_the_slide():
    image, _ = draw_slide(content_slide(EN_ITEMS, "Quarterly review"))
    expected = lines("Quarterly review", [*EN_ITEMS[:4], "Hiring plan is on track"])
    result = assess(image, None, expected_lines=expected, ocr=True)
    assert result.metrics["ocr_mismatch_boxes"] == 1
    assert result.hints == ["ocr_mismatch"]

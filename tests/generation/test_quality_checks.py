"""The automatic quality check of a rendered slide, on slides drawn here with Pillow."""

from __future__ import annotations

import ctypes.util
import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

import pytest
from PIL import Image, ImageDraw, ImageFont

from generation.quality.image_checks import SlideAssessment, assess_slide
from generation.quality.text_check import Line
from generation.slides import TextBox

SIZE = (1536, 864)
SAFE_BOX = (60, 40, 1476, 824)
EN_ITEMS = [
    "Revenue grew 5% year over year",
    "Costs fell sharply in the third quarter",
    "Customer satisfaction reached a record high",
    "Two new products launched in Europe",
    "Next steps: expand the partner network",
]
ZH_ITEMS = [
    "营业收入同比增长百分之五",
    "第三季度成本大幅下降",
    "客户满意度创历史新高",
    "两款新产品在欧洲市场发布",
    "下一步：扩大合作伙伴网络",
]


def needs_tesseract(test):
    skip = pytest.mark.skipif(
        ctypes.util.find_library("tesseract") is None,
        reason="tesseract (libtesseract) is not installed on this machine",
    )
    return pytest.mark.ocr(skip(test))


@dataclass(frozen=True)
class Text:
    text: str
    x: int
    y: int
    font_px: int = 40
    color: str = "#1b1b1b"
    role: str = "item_text"
    bold: bool = False
    shown: str | None = None  # what is drawn, when it differs from the expected text


@cache
def cjk_font(bold: bool) -> tuple[str, int]:
    """(file, face index) of Noto Sans CJK SC, found with fc-list."""
    if shutil.which("fc-list") is None:
        pytest.skip("fc-list is not installed")
    listing = subprocess.run(
        ["fc-list", ":lang=zh", "-f", "%{file}|%{index}|%{family}|%{style}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wanted = "Bold" if bold else "Regular"
    for line in listing.splitlines():
        path, index, families, styles = line.split("|")
        if "Noto Sans CJK SC" in families.split(",") and wanted in styles.split(","):
            return path, int(index)
    pytest.skip("Noto Sans CJK SC (fonts-noto-cjk) is not installed")


def draw_slide(
    texts: list[Text],
    size: tuple[int, int] = SIZE,
    background: str = "#ffffff",
    panels: tuple[tuple[tuple[int, int, int, int], str], ...] = (),
) -> tuple[Image.Image, list[TextBox]]:
    """A slide with coloured panels and the texts drawn, and the TextBoxes of the texts."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    for rect, colour in panels:
        draw.rectangle(rect, fill=colour)
    boxes = []
    for item in texts:
        path, index = cjk_font(item.bold)
        font = ImageFont.truetype(path, item.font_px, index=index)
        shown = item.text if item.shown is None else item.shown
        draw.text((item.x, item.y), shown, font=font, fill=item.color)
        left, top, right, bottom = draw.textbbox((item.x, item.y), shown, font=font)
        boxes.append(
            TextBox(
                role=item.role,
                text=item.text,
                x=left,
                y=top,
                w=right - left,
                h=bottom - top,
                font_px=item.font_px,
                color=item.color,
                bold=item.bold,
                lines=(shown,),
            )
        )
    return image, boxes


def content_slide(items: list[str], title: str, **overrides) -> list[Text]:
    """A title and one line per item, overrides applied to every item."""
    texts = [Text(title, 120, 80, font_px=64, color="#1f3a5f", role="title", bold=True)]
    for number, item in enumerate(items):
        texts.append(Text(item, 120, 220 + number * 110, **overrides))
    return texts


def lines(title: str, items: list[str]) -> list[Line]:
    return [Line("title", title), *(Line("item_text", item) for item in items)]


def assess(image: Image.Image, boxes: list[TextBox] | None, **kwargs) -> SlideAssessment:
    kwargs = {"expected_size": SIZE, "safe_box": SAFE_BOX, "ocr": False, **kwargs}
    assessment = assess_slide(image, boxes=boxes, **kwargs)
    assert json.loads(json.dumps(assessment.metrics, ensure_ascii=False)) == assessment.metrics
    return assessment


# --- image checks -------------------------------------------------------------------------


def test_clean_slide_scores_high_without_hints():
    image, boxes = draw_slide(content_slide(EN_ITEMS, "Quarterly review"))
    result = assess(image, boxes)
    assert result.score >= 8.5
    assert result.hints == []
    assert result.metrics["size_ok"] is True
    assert result.metrics["blank"] is False
    assert result.metrics["contrast_min"] > 7
    assert len(result.metrics["contrast_per_box"]) == len(boxes)
    assert result.metrics["min_font_pt"] == 25.0
    assert result.metrics["check_seconds"] < 1


def test_blank_image_scores_at_most_one():
    result = assess(Image.new("RGB", SIZE, "#f4f4f4"), [])
    assert result.score <= 1
    assert "blank" in result.hints
    assert result.metrics["pixel_stddev"] < 3


def test_image_with_a_few_specks_is_still_blank():
    image = Image.new("RGB", SIZE, "#ffffff")
    ImageDraw.Draw(image).rectangle((10, 10, 20, 20), fill="#000000")
    result = assess(image, None)
    assert result.hints == ["blank"]
    assert result.score <= 1


def test_wrong_size_image_is_flagged_and_scores_at_most_one():
    image, boxes = draw_slide(content_slide(EN_ITEMS, "Quarterly review"), size=(1024, 768))
    result = assess(image, boxes)
    assert result.metrics["size_ok"] is False
    assert result.hints == ["wrong_size"]
    assert result.score <= 1


def test_light_grey_text_on_white_is_low_contrast():
    texts = content_slide(EN_ITEMS, "Quarterly review", color="#c8c8c8")
    result = assess(*draw_slide(texts))
    assert result.hints == ["low_contrast"]
    assert result.metrics["low_contrast_boxes"] == len(EN_ITEMS)
    assert result.metrics["contrast_min"] < 2
    assert result.score < 7


def test_lower_contrast_scores_lower():
    grey = assess(*draw_slide(content_slide(EN_ITEMS, "Review", color="#a0a0a0")))
    pale = assess(*draw_slide(content_slide(EN_ITEMS, "Review", color="#d0d0d0")))
    assert grey.hints == pale.hints == ["low_contrast"]
    assert pale.score < grey.score < 7


def test_large_text_needs_only_three_to_one_contrast():
    # #8a8a8a on white is 3.45:1: enough for 40 px (25 pt) text, not for 32 px (20 pt) text
    large = assess(*draw_slide([Text("Large grey text", 120, 80, color="#8a8a8a")]))
    assert large.metrics["low_contrast_boxes"] == 0
    body = assess(*draw_slide([Text("Body grey text", 120, 80, font_px=32, color="#8a8a8a")]))
    assert body.metrics["low_contrast_boxes"] == 1
    bold = assess(*draw_slide([Text("Bold grey", 120, 80, font_px=32, color="#8a8a8a", bold=True)]))
    assert bold.metrics["low_contrast_boxes"] == 0


def test_contrast_is_measured_against_the_ring_around_the_box():
    # these bold glyphs cover more than half of their box: the box's own median is the ink
    image, boxes = draw_slide([Text("黑疆囊鬱", 200, 300, font_px=120, bold=True)])
    result = assess(image, boxes)
    assert result.metrics["contrast_per_box"] == [17.22]  # #1b1b1b against white


def test_white_text_on_a_dark_panel_is_not_low_contrast():
    texts = content_slide(EN_ITEMS, "Review", color="#ffffff")
    image, boxes = draw_slide(texts, panels=(((80, 190, 1456, 790), "#1f3a5f"),))
    result = assess(image, boxes)
    assert result.hints == []
    assert result.metrics["contrast_min"] > 10


def test_box_past_the_safe_box_overflows():
    texts = [*content_slide(EN_ITEMS[:3], "Review"), Text(EN_ITEMS[3] * 2, 120, 600)]
    result = assess(*draw_slide(texts))
    assert result.hints == ["overflow"]
    assert result.metrics["overflow_boxes"] == 1
    assert result.score < 7


def test_box_past_the_image_edge_overflows_without_a_safe_box():
    result = assess(*draw_slide([Text("Off the edge", 1400, 400)]), safe_box=None)
    assert result.hints == ["overflow"]


def test_box_within_two_pixels_of_the_safe_box_does_not_overflow():
    image, boxes = draw_slide([Text("Close to the edge", 120, 400)])
    box = boxes[0]
    safe_box = (box.x - 1, box.y - 2, box.x + box.w - 2, box.y + box.h + 1)
    assert assess(image, boxes, safe_box=safe_box).metrics["overflow_boxes"] == 0


def test_tiny_font_is_too_small():
    texts = content_slide(EN_ITEMS, "Review", font_px=20)  # 12.5 pt on a 1536 px wide slide
    result = assess(*draw_slide(texts))
    assert result.hints == ["font_too_small"]
    assert result.metrics["min_font_pt"] == 12.5
    assert result.metrics["small_font_boxes"] == len(EN_ITEMS)
    assert result.score < 7


def test_title_needs_24_pt_and_body_18_pt():
    texts = [
        Text("Title", 120, 80, font_px=35, role="title"),  # 21.9 pt
        Text("Body", 120, 300, font_px=30),  # 18.75 pt
    ]
    result = assess(*draw_slide(texts))
    assert result.metrics["small_font_boxes"] == 1


def test_two_failing_checks_score_below_five():
    texts = content_slide(EN_ITEMS, "Review", font_px=20, color="#c8c8c8")
    result = assess(*draw_slide(texts))
    assert result.hints == ["low_contrast", "font_too_small"]
    assert result.score < 5


def test_slide_without_boxes_reports_box_checks_as_null():
    image, _ = draw_slide(content_slide(EN_ITEMS, "Review"))
    result = assess(image, None, expected_lines=lines("Review", EN_ITEMS))
    for name in ("contrast_min", "contrast_per_box", "overflow_boxes", "min_font_pt"):
        assert result.metrics[name] is None
    assert result.score == 10

"""The check of image-model slides (no text boxes): text regions found in the image, read one by
one, each planned line matched to its best chain of whole regions and held to one character."""

import random
import shutil

import pytest
from PIL import Image, ImageDraw

from generation.quality.garble import degrade
from generation.quality.image_checks import assess_slide
from generation.quality.regions import Region, find_regions, links
from generation.quality.text_check import plan_lines
from generation.render.fonts import get_font
from generation.render.renderer import render_slide
from generation.slides import Theme
from templates_app.starter import STARTERS

SIZE = (1536, 864)
EN_PLAN = {
    "kind": "content",
    "title": "Replicas, pools and backups",
    "subtitle": "",
    "items": [
        {
            "title": "Connection pooling",
            "text": "PgBouncer in transaction mode in front of the primary and each replica",
            "children": ["Pools shrank from forty connections to five"],
        },
        {
            "title": "Backups",
            "text": "Physical backups restored automatically every night into a throwaway instance",
            "children": [],
        },
    ],
    "language": "en",
}
ZH_PLAN = {
    "kind": "content",
    "title": "推理服务的三项改进",
    "subtitle": "",
    "items": [
        {"title": "量化", "text": "权重量化到八位整数，显存占用减半", "children": []},
        {"title": "批处理", "text": "连续批处理让吞吐量提高两倍", "children": ["按租户分配配额"]},
    ],
    "language": "zh",
}


def needs_tesseract(test):
    skip = pytest.mark.skipif(
        shutil.which("tesseract") is None, reason="tesseract is not installed on this machine"
    )
    return pytest.mark.ocr(skip(test))


def theme(index: int = 0) -> Theme:
    spec = STARTERS[index]
    return Theme.from_palette(
        spec["palette"], reference_image=spec["draw"](spec["palette"]), style=spec["style"]
    )


def slide(plan: dict, layout: str = "two_column", *, template: int = 0) -> Image.Image:
    return render_slide(plan, theme(template), SIZE, {"layout": layout}).image


def failing(image: Image.Image, plan: dict) -> list[str]:
    """The planned lines the whole-slide path (no boxes) flags on the image."""
    result = assess_slide(
        image, expected_size=SIZE, boxes=None, safe_box=None, expected_lines=plan_lines(plan)
    )
    return [row["expected"] for row in result.metrics["ocr_boxes"] if row["failed"]]


def changed(plan: dict, item: int, key: str, text: str) -> dict:
    items = [dict(entry) for entry in plan["items"]]
    items[item][key] = text
    return {**plan, "items": items}


def drawn(texts: list[tuple[str, int, int]], font_px: int = 36) -> Image.Image:
    image = Image.new("RGB", SIZE, "#ffffff")
    draw = ImageDraw.Draw(image)
    for text, x, y in texts:
        draw.text((x, y), text, font=get_font(font_px), fill="#1b1b1b")
    return image


# --- regions (no OCR) -----------------------------------------------------------------------


def test_two_columns_on_one_row_are_two_regions():
    image = drawn([("Left column text", 100, 200), ("Right column text", 800, 200)])
    regions = find_regions(image)
    assert len(regions) == 2
    assert regions[0].right < 800 <= regions[1].x


def test_a_card_border_does_not_join_the_lines_inside_it():
    image = drawn([("First line", 140, 200), ("Second line", 140, 300)])
    ImageDraw.Draw(image).rectangle((100, 150, 700, 400), outline="#1f3a5f", width=3)
    regions = find_regions(image)
    assert len(regions) == 2
    assert all(region.h < 60 for region in regions)


def test_a_solid_shape_is_not_a_region_when_too_large():
    image = drawn([("Caption", 100, 700)])
    ImageDraw.Draw(image).rectangle((100, 100, 900, 600), fill="#1f3a5f")
    assert [region.y > 650 for region in find_regions(image)] == [True]


def test_text_continues_down_its_own_column_not_into_the_next():
    left, below, right = (
        Region(100, 100, 500, 40),
        Region(100, 150, 300, 40),
        Region(1200, 100, 300, 40),
    )
    following = links([left, below, right])
    assert following[0] == [1]  # the other column is too far to the right
    assert following[1] == []


def test_text_continues_to_the_next_run_on_its_row():
    bullet, text, below = (
        Region(100, 100, 20, 40),
        Region(140, 100, 500, 40),
        Region(140, 150, 300, 40),
    )
    following = links([bullet, text, below])
    assert following[0][0] == 1
    assert following[1] == [2]


def test_one_line_with_wide_gaps_stays_one_region():
    image = drawn([("Latency", 180, 216), ("p99", 330, 216)])
    assert len(find_regions(image)) == 1


def test_a_wrap_below_the_second_of_two_cards_on_a_row_is_linked():
    # Cards side by side: the row runs on from the first card's line into the second's (2.3
    # heights apart), so the row's first region is in the first card. Before, a wrap was looked
    # for only below that span and the nearest there (the first card's second line) taken.
    left_card, left_wrap = Region(580, 384, 371, 32), Region(579, 430, 99, 38)
    right_card, right_end, right_wrap = (
        Region(1040, 382, 146, 38),
        Region(1211, 382, 203, 36),
        Region(1042, 433, 29, 32),
    )
    following = links([left_card, left_wrap, right_card, right_end, right_wrap])
    assert following[0][0] == 2  # the row runs on
    assert 4 in following[3]
    assert 4 not in following[0]


# --- the check (OCR) ------------------------------------------------------------------------


@needs_tesseract
@pytest.mark.parametrize("plan", [EN_PLAN, ZH_PLAN], ids=["en", "zh"])
def test_a_clean_two_column_slide_is_not_flagged(plan):
    assert failing(slide(plan), plan) == []


@needs_tesseract
@pytest.mark.parametrize("plan", [EN_PLAN, ZH_PLAN], ids=["en", "zh"])
def test_a_degraded_clean_slide_is_not_flagged(plan):
    image = degrade(slide(plan, "grid", template=1), random.Random(12))
    assert failing(image, plan) == []


@needs_tesseract
def test_one_swapped_character_in_a_long_line_of_a_two_column_slide_is_caught():
    text = EN_PLAN["items"][1]["text"].replace("throwaway", "throwawya")
    assert failing(slide(changed(EN_PLAN, 1, "text", text)), EN_PLAN) == [
        EN_PLAN["items"][1]["text"]
    ]


@needs_tesseract
def test_a_character_added_at_the_end_of_a_line_is_caught():
    # A free-ended match would find the planned line inside the longer one.
    garbled = changed(ZH_PLAN, 1, "text", ZH_PLAN["items"][1]["text"] + "的")
    assert failing(slide(garbled), ZH_PLAN) == [ZH_PLAN["items"][1]["text"]]


@needs_tesseract
def test_a_dropped_line_is_caught():
    garbled = changed(EN_PLAN, 0, "children", [])
    assert failing(slide(garbled), EN_PLAN) == ["Pools shrank from forty connections to five"]


@needs_tesseract
def test_a_look_alike_character_in_a_chinese_line_is_caught_on_a_degraded_slide():
    garbled = changed(ZH_PLAN, 0, "text", "权重量化到八位整数，显存占用减半".replace("减", "咸"))
    image = degrade(slide(garbled, "grid", template=1), random.Random(12))
    assert failing(image, ZH_PLAN) == [ZH_PLAN["items"][0]["text"]]


@needs_tesseract
def test_lone_characters_and_numbered_badges_are_read_apart_from_the_text():
    plan = {
        "kind": "content",
        "title": "三个关键词",
        "subtitle": "",
        "items": [
            {"title": "省", "text": "", "children": []},
            {"title": "快", "text": "", "children": []},
            {"title": "稳定可靠", "text": "", "children": []},
        ],
        "language": "zh",
    }
    image = degrade(slide(plan, "steps", template=1), random.Random(3))
    assert failing(image, plan) == []


@needs_tesseract
def test_a_lone_character_that_is_missing_is_caught():
    plan = {
        "kind": "content",
        "title": "三个关键词",
        "subtitle": "",
        "items": [
            {"title": "省", "text": "", "children": []},
            {"title": "快", "text": "", "children": []},
            {"title": "稳定可靠", "text": "", "children": []},
        ],
        "language": "zh",
    }
    garbled = changed(plan, 1, "title", "")
    assert failing(slide(garbled, "steps"), plan) == ["快"]

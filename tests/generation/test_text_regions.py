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


# --- region finding on the shapes of real templates ---------------------------------------------

COVER_ZH = {
    "kind": "cover",
    "title": "人工智能走进课堂",
    "subtitle": "面向中小学教师的实践指南",
    "items": [],
    "language": "zh",
}
STEPS_ZH = {
    "kind": "content",
    "title": "引入AI工具的四个步骤",
    "subtitle": "",
    "items": [
        {"title": "第一步", "text": "明确教学目标和使用场景", "children": []},
        {"title": "第二步", "text": "挑选合适的工具，在一个班级试用", "children": []},
        {"title": "第三步", "text": "设计课堂活动与评价方式", "children": []},
        {"title": "第四步", "text": "收集师生反馈，持续改进", "children": []},
    ],
    "language": "zh",
}
CARDS_ZH = {
    "kind": "content",
    "title": "应对策略与解决方案",
    "subtitle": "",
    "items": [
        {"title": "过程性评价", "text": "关注思考过程而不只看答案", "children": []},
        {"title": "数据最小化", "text": "只收集教学必需的数据", "children": []},
        {"title": "人工复核", "text": "教师审核AI生成的关键内容", "children": []},
        {"title": "素养教育", "text": "教学生正确使用和质疑AI", "children": []},
    ],
    "language": "zh",
}


def test_text_beside_a_diagonal_band_that_spans_the_slide_is_a_region():
    # The band's edge runs down every row and across the columns of the title's end: before,
    # nothing split and the whole slide was dropped as a picture.
    image = Image.new("RGB", SIZE, "#f5f7fa")
    draw = ImageDraw.Draw(image)
    draw.polygon([(1000, 0), (1536, 0), (1536, 864), (1240, 864)], fill="#1f3a5f")
    draw.text((480, 310), "人工智能走进课堂", font=get_font(64, bold=True), fill="#1f3a5f")
    regions = find_regions(image)
    assert len(regions) == 1
    assert regions[0].x <= 480
    assert regions[0].right < 1100
    assert regions[0].h < 80


def test_a_thick_horizontal_stroke_lined_up_with_its_neighbours_does_not_split_the_line():
    # The 一 of 第一步 lines up with strokes of 第 and 步: before, it was taken for a rule and
    # the line was cut in two bands, read as "估一止" and "用一纪".
    image = Image.new("RGB", SIZE, "#0b1220")
    ImageDraw.Draw(image).text((200, 400), "第一步", font=get_font(42, bold=True), fill="#38bdf8")
    assert len(find_regions(image)) == 1


def test_a_badge_reaching_into_a_title_and_its_text_does_not_join_them():
    # A step list's numbered circle overlaps the rows of both lines and stands only 13
    # half-size pixels from them: before, circle and lines were one region 100 px tall, read
    # as "个第步挑选…" (第二步 read 第一步, 教学节奏 read 教学 # 卖).
    image = render_slide(STEPS_ZH, theme(0), SIZE, {"layout": "step_list"}).image
    regions = find_regions(image)
    assert max(region.h for region in regions) < 70
    assert len([region for region in regions if region.x > 160 and region.y > 150]) >= 8


def test_a_long_rule_under_a_line_is_still_taken_out():
    image = drawn([("First line", 140, 200)])
    ImageDraw.Draw(image).line((100, 260, 900, 260), fill="#1f3a5f", width=3)
    regions = find_regions(image)
    assert len(regions) == 1
    assert regions[0].bottom < 256


@needs_tesseract
@pytest.mark.parametrize(
    ("plan", "layout", "template"),
    [
        (COVER_ZH, "", 0),
        (STEPS_ZH, "steps", 1),
        (CARDS_ZH, "problem_solution", 2),
        (STEPS_ZH, "step_list", 3),
    ],
    ids=["cover-diagonal-bands", "steps-thick-stroke", "cards-accent-bars", "step-list-badges"],
)
def test_clean_slides_of_template_shapes_are_not_flagged(plan, layout, template):
    image = render_slide(plan, theme(template), SIZE, {"layout": layout} if layout else {}).image
    assert failing(image, plan) == []
    assert failing(degrade(image, random.Random(template + 1000)), plan) == []


@needs_tesseract
@pytest.mark.parametrize(
    ("plan", "layout", "template", "item", "key", "text"),
    [
        (COVER_ZH, "", 0, None, "title", "人工智能走近课堂"),
        (STEPS_ZH, "steps", 1, 0, "title", "第七步"),
        (CARDS_ZH, "problem_solution", 2, 1, "text", "只收集教学必须的数据"),
        (STEPS_ZH, "step_list", 3, 1, "title", "第二部"),
    ],
    ids=["cover-diagonal-bands", "steps-thick-stroke", "cards-accent-bars", "step-list-badges"],
)
def test_one_wrong_character_on_template_shapes_is_caught(plan, layout, template, item, key, text):
    garbled = {**plan, key: text} if item is None else changed(plan, item, key, text)
    params = {"layout": layout} if layout else {}
    image = render_slide(garbled, theme(template), SIZE, params).image
    expected = plan[key] if item is None else plan["items"][item][key]
    assert failing(image, plan) == [expected]
    assert failing(degrade(image, random.Random(template + 1000)), plan) == [expected]


COMPARISON_ZH = {
    "kind": "content",
    "title": "传统课堂与智能课堂对比",
    "subtitle": "",
    "items": [
        {"title": "教学节奏", "text": "统一进度 vs 按需调整", "children": []},
        {"title": "作业反馈", "text": "数天之后 vs 当堂即时", "children": []},
        {"title": "教师角色", "text": "知识讲授者 vs 学习设计者", "children": []},
    ],
    "language": "zh",
}


@needs_tesseract
def test_titles_misread_the_same_way_twice_are_read_a_third_time_larger():
    # Before: 作业反馈 read 全全反馈 and 教师角色 read 教证角色 at both scales; the region
    # holding an item's title also holds its text, which passed, so it was not read again.
    image = render_slide(COMPARISON_ZH, theme(0), SIZE, {"layout": "step_list"}).image
    assert failing(image, COMPARISON_ZH) == []


@needs_tesseract
def test_a_swapped_pair_in_a_short_title_is_caught_after_three_readings():
    garbled = changed(COMPARISON_ZH, 1, "title", "作业馈反")
    image = render_slide(garbled, theme(0), SIZE, {"layout": "step_list"}).image
    assert failing(image, COMPARISON_ZH) == ["作业反馈"]


TYPES_ZH = {
    "kind": "content",
    "title": "教育人工智能的主要类型",
    "subtitle": "",
    "items": [
        {"title": "智能辅导系统", "text": "根据学生水平推送练习", "children": []},
        {"title": "自动测评工具", "text": "批改作业并即时给出反馈", "children": []},
        {"title": "生成式助手", "text": "协助备课和制作教学素材", "children": []},
        {"title": "学习分析平台", "text": "汇总数据，发现学习规律", "children": []},
    ],
    "language": "zh",
}
EXAM_ZH = {
    **COMPARISON_ZH,
    "items": [
        *COMPARISON_ZH["items"],
        {"title": "评价方式", "text": "期末一次考试 vs 过程性数据", "children": []},
    ],
}


@needs_tesseract
@pytest.mark.parametrize(
    ("plan", "layout", "template"),
    [(TYPES_ZH, "hierarchy", 1), (EXAM_ZH, "steps", 3)],
    ids=["push-read-as-pull", "end-of-term-read-as-not-yet"],
)
def test_lines_misread_at_both_earlier_scales_pass_in_another_mode(plan, layout, template):
    # Before: 推送 read 扒送 and 期末 read 期未 at 1.0, 0.6 and 1.7 of the size.
    image = render_slide(plan, theme(template), SIZE, {"layout": layout}).image
    assert failing(image, plan) == []


@needs_tesseract
@pytest.mark.parametrize(
    ("plan", "layout", "template", "item", "text"),
    [
        (TYPES_ZH, "hierarchy", 1, 0, "根据学生水平推进练习"),
        (EXAM_ZH, "steps", 3, 3, "期未一次考试 vs 过程性数据"),
    ],
    ids=["push-read-as-pull", "end-of-term-read-as-not-yet"],
)
def test_one_wrong_character_fails_in_every_mode(plan, layout, template, item, text):
    # The look-alike OCR itself confuses (未 for 末) drawn on the slide: no reading may pass it.
    garbled = changed(plan, item, "text", text)
    image = render_slide(garbled, theme(template), SIZE, {"layout": layout}).image
    assert failing(image, plan) == [plan["items"][item]["text"]]


COVER_DOT_ZH = {
    "kind": "cover",
    "title": "大模型推理加速实践",
    "subtitle": "2025 全球人工智能技术大会 · 主题演讲",
    "items": [],
    "language": "zh",
}


@needs_tesseract
def test_a_cover_with_a_separator_dot_is_not_flagged():
    # Before: the lone dot of this template's subtitle read "和 @" and the subtitle failed.
    image = render_slide(COVER_DOT_ZH, theme(1), SIZE, {}).image
    assert failing(image, COVER_DOT_ZH) == []


@needs_tesseract
def test_a_character_added_beside_a_separator_dot_is_caught():
    garbled = {**COVER_DOT_ZH, "subtitle": "2025 全球人工智能技术大会 · 和主题演讲"}
    image = render_slide(garbled, theme(1), SIZE, {}).image
    assert failing(image, COVER_DOT_ZH) == [COVER_DOT_ZH["subtitle"]]

"""Text regions on the shapes of real templates (diagonal bands, thick strokes, badges, rules,
separator dots): found whole, clean slides not flagged, one wrong character caught, and
lines misread at one scale or mode read again before they fail."""

import random

import pytest
from PIL import Image, ImageDraw

from generation.quality.garble import degrade
from generation.quality.regions import find_regions
from generation.render.fonts import get_font
from generation.render.renderer import render_slide
from tests.generation.test_text_regions import SIZE, changed, drawn, failing, needs_tesseract, theme

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

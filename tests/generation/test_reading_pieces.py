"""A line read in pieces: a paragraph's rows may each read right in a different reading, a
bullet is no part of its line's crop, a wrapped box is read row by row when it reads wrong as a
whole; and one wrong character in any row still fails, on both paths."""

import random
from dataclasses import replace

import pytest

from generation.quality.garble import degrade
from generation.quality.image_checks import assess_slide
from generation.quality.pieces import Piece, combined
from generation.quality.text_check import plan_lines
from generation.render.renderer import render_slide
from generation.slides import Theme
from templates_app.starter import SANS, STARTERS
from tests.generation.test_quality_checks import needs_tesseract
from tests.generation.test_text_check import COVER_ZH

SIZE = (1536, 864)
# Pages of the sample talk (generation/samples/long-talk-zh.md) that were flagged clean.
ENGINE_ZH = {
    "kind": "content",
    "title": "推理引擎层面的优化",
    "subtitle": "",
    "items": [
        {
            "title": "采用连续批处理代替静态批处理，请求在每一步解码之后都可以加入或离开批次，"
            "显卡利用率从百分之四十左右提升到百分之七十以上，同时首字延迟基本不变",
            "text": "",
            "children": [],
        },
        {
            "title": "引入分页式键值缓存管理，把缓存切成固定大小的块按需分配，显存碎片问题基本消失，"
            "同样的显卡可以同时服务的长上下文请求数量提升了一倍多",
            "text": "",
            "children": [
                "块大小经过多轮压测最终定为十六个词元，更大的块浪费显存，更小的块则让调度开销明显上升",
                "对于共享同一段系统提示词的请求，缓存块可以直接复用，在客服场景下节省了大约三成的预填充计算",
            ],
        },
        {
            "title": "对权重进行八比特量化，并在上线前用一套覆盖主要业务场景的评测集做回归对比，"
            "只有各项指标下降都不超过百分之一的版本才允许进入灰度",
            "text": "",
            "children": [],
        },
    ],
    "language": "zh",
}
BEFORE_AFTER_ZH = {
    "kind": "content",
    "title": "优化前后对比",
    "subtitle": "",
    "items": [
        {"title": "吞吐", "text": "每秒 420 个请求 vs 每秒 1,650 个请求", "children": []},
        {"title": "延迟", "text": "P99 为 2.8 秒 vs 0.9 秒", "children": []},
        {"title": "成本", "text": "每千次调用 3.2 元 vs 0.8 元", "children": []},
    ],
    "language": "zh",
}
MONITORING = (
    "监控体系沿用传统的接口成功率和平均耗时，看不到显存占用、批处理大小、键值缓存命中率等"
    "真正决定性能的指标，出了问题往往只能靠经验猜测原因"
)
PROBLEMS_ZH = {
    "kind": "content",
    "title": "我们面对的问题",
    "subtitle": "",
    "items": [
        {
            "title": "不同业务对延迟的要求差异很大",
            "text": "在线客服要求首字延迟低于五百毫秒",
            "children": [],
        },
        {"title": MONITORING, "text": "", "children": []},
    ],
    "language": "zh",
}


def render(plan: dict, layout: str, template: int):
    spec = STARTERS[template]
    theme = Theme.from_palette(
        spec["palette"],
        reference_image=spec["draw"](spec["palette"]),
        style=spec["style"],
        fonts=spec.get("fonts", SANS),
    )
    return render_slide(plan, theme, SIZE, {"layout": layout} if layout else {})


def failing(render_, plan: dict, path: str) -> list[str]:
    """The planned lines a path flags: box (with the render's boxes), slide (degraded as
    image-model output, no boxes), slide_clean (the render itself, no boxes)."""
    image = degrade(render_.image, random.Random(7)) if path == "slide" else render_.image
    result = assess_slide(
        image,
        expected_size=SIZE,
        boxes=render_.boxes if path == "box" else None,
        safe_box=render_.safe_box if path == "box" else None,
        expected_lines=plan_lines(plan),
    )
    return [row["expected"] for row in result.metrics["ocr_boxes"] if row["failed"]]


def with_title(plan: dict, item: int, old: str, new: str) -> dict:
    items = [dict(entry) for entry in plan["items"]]
    assert old in items[item]["title"]
    items[item]["title"] = items[item]["title"].replace(old, new, 1)
    return {**plan, "items": items}


def test_a_line_is_put_together_from_each_regions_right_reading():
    readings = [
        [Piece(0, "采用代蔡"), Piece(1, "离开批次")],
        [Piece(0, "采用代替"), Piece(1, "高开批次")],
    ]
    assert combined("采用代替，离开批次", readings) == "采用代替离开批次"
    assert combined("采用代替，离开批次", readings[:1]) is None


def test_a_piece_from_a_shrinking_mode_with_fewer_characters_than_the_first_does_not_count():
    # 人工我智能 drawn (an inserted 我): a squeezed reading that drops it must not pass the line.
    first = [Piece(0, "人工我智能")]
    assert combined("人工智能", [first, [Piece(0, "人工智能", later=True)]]) is None
    assert combined("人工智能", [first, [Piece(0, "人工智能")]]) == "人工智能"


def test_pieces_are_put_together_only_in_the_order_of_a_chain():
    readings = [[Piece(0, "离开批次"), Piece(1, "采用代替")]]
    assert combined("采用代替离开批次", readings) is None


@needs_tesseract
@pytest.mark.parametrize("path", ["slide", "slide_clean"])
def test_a_paragraph_whose_rows_read_right_in_different_readings_is_not_flagged(path):
    # Before: 代替 read 蔡代 in the first row at 1.0 and 1.7 and 离开 read 高开 in the second at
    # 0.6 and 1.0: no one reading had every row right.
    assert failing(render(ENGINE_ZH, "problem_solution", 0), ENGINE_ZH, path) == []


@needs_tesseract
@pytest.mark.parametrize("path", ["box", "slide", "slide_clean"])
@pytest.mark.parametrize(
    ("old", "new"),
    [("离开", "离人开"), ("离开", "开"), ("四十", "四千"), ("首字", "字首")],
    ids=["insert", "delete", "look-alike", "swap"],
)
def test_one_wrong_character_in_one_row_of_a_paragraph_is_caught(path, old, new):
    garbled = with_title(ENGINE_ZH, 0, old, new)
    flagged = failing(render(garbled, "problem_solution", 0), ENGINE_ZH, path)
    assert flagged == [ENGINE_ZH["items"][0]["title"]]


@needs_tesseract
@pytest.mark.parametrize("path", ["slide", "slide_clean"])
def test_a_bullet_beside_a_short_title_is_not_read_with_it(path):
    # Before: the dot and 吞吐 were one crop and 吞 read 知, 香, 理 in every reading.
    assert failing(render(BEFORE_AFTER_ZH, "bullets", 6), BEFORE_AFTER_ZH, path) == []


@needs_tesseract
@pytest.mark.parametrize("path", ["slide", "slide_clean"])
def test_one_wrong_character_in_a_short_title_beside_a_bullet_is_caught(path):
    garbled = with_title(BEFORE_AFTER_ZH, 0, "吞吐", "吞叶")
    assert failing(render(garbled, "bullets", 6), BEFORE_AFTER_ZH, path) == ["吞吐"]


@needs_tesseract
def test_a_wrapped_box_misread_as_a_whole_passes_when_its_rows_read_right():
    # Before: 缓存 read 组存 in every reading of the five rows as one crop.
    assert failing(render(PROBLEMS_ZH, "grid", 0), PROBLEMS_ZH, "box") == []


@needs_tesseract
@pytest.mark.parametrize(
    ("old", "new"),
    [("缓存", "缓在"), ("缓存", "缓缓存"), ("猜测", "猜")],
    ids=["sub", "ins", "del"],
)
def test_one_wrong_character_in_a_wrapped_box_is_caught_row_by_row_too(old, new):
    garbled = with_title(PROBLEMS_ZH, 1, old, new)
    assert failing(render(garbled, "grid", 0), PROBLEMS_ZH, "box") == [MONITORING]


KEYWORDS = {
    "kind": "content",
    "title": "Takeaways",
    "subtitle": "",
    "items": [
        {"title": "Go", "text": "", "children": []},
        {"title": "快", "text": "", "children": []},
        {"title": "Ship small, ship often", "text": "", "children": []},
        {"title": "Q&A", "text": "", "children": []},
    ],
    "language": "en",
}


@needs_tesseract
@pytest.mark.parametrize("path", ["slide", "slide_clean"])
def test_short_titles_beside_numbered_badges_are_read_apart_from_them(path):
    # Before: on degraded slides each badge and its title were one region, read at the badge's
    # height with the badge's digit: 快 read 业, Q&A read "oxa".
    assert failing(render(KEYWORDS, "step_list", 5), KEYWORDS, path) == []


@needs_tesseract
@pytest.mark.parametrize("path", ["slide", "slide_clean"])
@pytest.mark.parametrize(("item", "new"), [(1, "块"), (3, "Q&AA"), (0, "G")])
def test_one_wrong_character_in_a_title_beside_a_badge_is_caught(path, item, new):
    garbled = with_title(KEYWORDS, item, KEYWORDS["items"][item]["title"], new)
    expected = [KEYWORDS["items"][item]["title"]]
    assert failing(render(garbled, "step_list", 5), KEYWORDS, path) == expected


@needs_tesseract
def test_a_character_added_to_a_wrapped_title_is_caught_when_its_box_is_read_row_by_row():
    # The added 说 wraps onto a row of its own: read row by row, the title's best chain stopped
    # before it; a box's area holds its line only, so the line must go through every row.
    garbled = {**COVER_ZH, "title": "大模型推理加速实践说"}
    assert failing(render(garbled, "", 2), COVER_ZH, "box") == ["大模型推理加速实践"]
    assert failing(render(COVER_ZH, "", 2), COVER_ZH, "box") == []


@needs_tesseract
@pytest.mark.parametrize("where", ["below", "right"])
def test_a_box_drawn_off_the_slide_fails_its_line_and_the_check_still_runs(where):
    # An overflowing page's last box may lie wholly past the image's edge; a box of several
    # rows that reads wrong is read row by row, which had an empty area to crop there and
    # failed the render step with a Pillow error.
    plan = {**KEYWORDS, "items": KEYWORDS["items"][2:3]}
    render_ = render(plan, "bullets", 0)
    boxes = list(render_.boxes)
    k = next(i for i, box in enumerate(boxes) if box.text == "Ship small, ship often")
    moved = {"below": {"y": SIZE[1] + 40}, "right": {"x": SIZE[0] + 40}}[where]
    boxes[k] = replace(boxes[k], h=3 * boxes[k].font_px, **moved)  # three rows' height
    result = assess_slide(
        render_.image,
        expected_size=SIZE,
        boxes=boxes,
        safe_box=render_.safe_box,
        expected_lines=plan_lines(plan),
    )
    failed = [row["expected"] for row in result.metrics["ocr_boxes"] if row["failed"]]
    assert failed == ["Ship small, ship often"]

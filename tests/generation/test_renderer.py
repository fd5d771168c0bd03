import logging
import math

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from generation.render import fonts, text
from generation.render.colour import BLACK, WHITE, contrast_ratio, required_contrast
from generation.render.layouts import CONTENT_LAYOUTS
from generation.render.pages import PAGE_LAYOUTS
from generation.render.renderer import render_slide
from generation.slides import LOGIC_TYPES, SUPPORTED_SIZES, Theme, px_per_pt


def _reference_image() -> Image.Image:
    image = Image.new("RGB", (400, 300), (40, 90, 160))
    canvas = ImageDraw.Draw(image)
    for index in range(6):
        canvas.ellipse((index * 70 - 20, 120, index * 70 + 60, 200), fill=(240, 150, 60))
    canvas.rectangle((0, 230, 400, 300), fill=(250, 250, 250))
    return image


@pytest.fixture
def theme() -> Theme:
    palette = ["#ffffff", "#1f3a5f", "#e07a24", "#1b1b1b", "#6b7280"]
    return Theme.from_palette(palette, reference_image=_reference_image())


def _item(title: str, text: str = "", children: tuple[str, ...] = ()) -> dict:
    return {"title": title, "text": text, "children": list(children)}


def _content(logic: str, items: list[dict], title: str = "人工智能与教育") -> dict:
    return {
        "kind": "content",
        "title": title,
        "subtitle": "",
        "section": "应用",
        "section_index": 1,
        "items": items,
        "semanticFeatures": {"logicType": logic, "contentType": "concept_explanation"},
        "language": "zh",
    }


ZH_ITEMS = [
    _item("数据采集", "记录学生的答题过程。"),
    _item("学情诊断", "找出薄弱环节。"),
    _item("个性推荐", "推送合适的练习。"),
    _item("反馈迭代", "持续调整学习路径。"),
]
HIERARCHY_ITEMS = [
    _item("机器学习", "从数据中学习", ("监督学习", "无监督学习")),
    _item("深度学习", "多层神经网络", ("卷积网络",)),
]
COVER = {
    "kind": "cover",
    "title": "人工智能在教育中的应用",
    "subtitle": "从课堂到终身学习",
    "items": [],
    "language": "zh",
}
CONTENTS = {
    "kind": "contents",
    "title": "目录",
    "items": [
        _item(name) for name in ("基本概念", "典型应用", "智能辅导", "评估反馈", "伦理", "展望")
    ],
    "language": "zh",
}
TRANSITION = {
    "kind": "transition",
    "title": "典型应用",
    "subtitle": "第二部分",
    "section_index": 2,
    "items": [],
    "language": "zh",
}
COMPARISON_EN = {
    **_content(
        "comparison",
        [
            _item("Traditional", "One pace for the whole class.", ("Lectures", "Paper tests")),
            _item("AI-assisted", "Each student moves at their own pace.", ("Adaptive drills",)),
        ],
        title="Traditional vs. AI-assisted classrooms",
    ),
    "language": "en",
}


def _normal_pages() -> dict[str, dict]:
    pages = {"cover": COVER, "contents": CONTENTS, "transition": TRANSITION}
    items = {"hierarchical": HIERARCHY_ITEMS}
    for logic in LOGIC_TYPES:
        pages[logic] = _content(logic, items.get(logic, ZH_ITEMS))
    pages["comparison_en"] = COMPARISON_EN
    return pages


def _overflowing_page() -> dict:
    sentence = "This sentence is long on purpose so that the page holds far too much text. "
    return _content("classification", [_item(f"Point {i}", sentence * 4) for i in range(8)])


def _inside(box, safe) -> bool:
    x0, y0, x1, y1 = safe
    return box.x >= x0 and box.y >= y0 and box.x + box.w <= x1 and box.y + box.h <= y1


def _minimum_px(role: str, size: tuple[int, int]) -> float:
    return (24 if role == "title" else 18) * px_per_pt(*size)


@pytest.mark.parametrize("size", SUPPORTED_SIZES)
def test_every_kind_and_logic_type_renders_at_the_exact_size(theme, size):
    layouts = {}
    for name, plan in _normal_pages().items():
        result = render_slide(plan, theme, size)
        assert result.image.size == size
        assert result.image.mode == "RGB"
        assert result.boxes, name
        layouts[name] = result.layout
    assert (layouts["cover"], layouts["contents"], layouts["transition"]) == PAGE_LAYOUTS
    assert len({layouts[logic] for logic in LOGIC_TYPES}) == len(LOGIC_TYPES)


def test_sequential_pages_use_horizontal_steps_when_short_and_a_list_when_long(theme):
    short = render_slide(_content("sequential", ZH_ITEMS), theme, (1536, 864))
    many = [_item(f"第{i}步", "完成这一步的具体工作。") for i in range(1, 7)]
    long = render_slide(_content("sequential", many), theme, (1536, 864))
    assert (short.layout, long.layout) == ("steps", "step_list")


@pytest.mark.parametrize("layout", CONTENT_LAYOUTS)
def test_a_forced_layout_is_used(theme, layout):
    result = render_slide(
        _content("classification", ZH_ITEMS), theme, (1536, 864), {"layout": layout}
    )
    assert result.layout == layout
    assert not result.overflow


@pytest.mark.parametrize(
    "params", [{"layout": "spiral"}, {"text_contrast": "high"}, {"font_scale": 0}]
)
def test_invalid_params_are_rejected(theme, params):
    with pytest.raises(ValueError, match="must"):
        render_slide(COVER, theme, (1536, 864), params)


@pytest.mark.parametrize("size", SUPPORTED_SIZES)
def test_all_boxes_lie_inside_the_safe_box_for_normal_pages(theme, size):
    width, height = size
    for name, plan in _normal_pages().items():
        result = render_slide(plan, theme, size)
        margins = (round(width * 0.06), round(height * 0.07))
        assert result.safe_box == (*margins, width - margins[0], height - margins[1]), name
        assert not result.overflow, name
        assert all(_inside(box, result.safe_box) for box in result.boxes), name


def test_far_too_much_text_reports_overflow_and_the_boxes_show_it(theme):
    size = (1536, 864)
    result = render_slide(_overflowing_page(), theme, size)
    assert result.overflow
    assert any(not _inside(box, result.safe_box) for box in result.boxes)
    body = [box for box in result.boxes if box.role == "item_text"]
    assert {box.font_px for box in body} == {math.ceil(_minimum_px("item_text", size))}


def test_auto_fit_shrinks_text_before_reporting_overflow(theme):
    items = [
        _item(f"步骤{i}", "选择与学生生活相关、具有开放性的真实问题，激发探究兴趣。")
        for i in range(6)
    ]
    relaxed = render_slide(_content("sequential", items[:2]), theme, (1536, 864))
    crowded = render_slide(_content("sequential", items), theme, (1536, 864))
    assert not crowded.overflow

    def body_px(result):
        return max(box.font_px for box in result.boxes if box.role == "item_text")

    assert body_px(crowded) < body_px(relaxed)


@pytest.mark.parametrize("size", SUPPORTED_SIZES)
def test_font_sizes_never_go_below_the_point_minimums(theme, size):
    pages = [*_normal_pages().values(), _overflowing_page()]
    for plan in pages:
        for params in ({}, {"font_scale": 0.5}):
            for box in render_slide(plan, theme, size, params).boxes:
                assert box.font_px >= _minimum_px(box.role, size), (box.role, box.font_px)


def test_chinese_wrapping_never_starts_a_line_with_closing_punctuation():
    sample = "人工智能正在改变教育，教师需要掌握新技能。学生（以及家长）也要学会使用“智能工具”！真的吗？是的：对。"
    for width in range(60, 700, 7):
        lines = text.wrap(sample, 34, False, width)
        assert "".join(lines) == sample
        assert all(line[0] not in text.NO_LINE_START for line in lines[1:]), lines


def test_english_wraps_on_word_boundaries():
    sample = "The quick brown fox jumps over the lazy dog while students take notes in class."
    words = sample.split()
    for width in range(150, 900, 23):
        lines = text.wrap(sample, 34, False, width)
        assert [word for line in lines for word in line.split()] == words


def test_a_latin_word_longer_than_the_line_is_broken():
    lines = text.wrap("Pneumonoultramicroscopicsilicovolcanoconiosis", 34, False, 200)
    assert len(lines) > 1
    assert "".join(lines) == "Pneumonoultramicroscopicsilicovolcanoconiosis"


def test_rendered_lines_keep_the_source_text(theme):
    result = render_slide(COMPARISON_EN, theme, (1024, 768))
    for box in result.boxes:
        assert " ".join(box.lines).split() == box.text.split()


def _dark_pixels(image: Image.Image, boxes) -> int:
    grey = image.convert("L")
    return sum(sum(grey.crop((b.x, b.y, b.x + b.w, b.y + b.h)).histogram()[:90]) for b in boxes)


def test_draw_text_false_keeps_the_boxes_and_leaves_the_text_out(theme):
    plan = _content("classification", ZH_ITEMS)
    with_text = render_slide(plan, theme, (1536, 864))
    without = render_slide(plan, theme, (1536, 864), draw_text=False)
    assert without.boxes == with_text.boxes
    assert without.layout == with_text.layout
    body = [box for box in with_text.boxes if box.role in ("item_text", "title")]
    assert _dark_pixels(without.image, body) < _dark_pixels(with_text.image, body) / 10


@pytest.mark.parametrize("size", SUPPORTED_SIZES)
def test_the_boxes_cover_all_the_drawn_text(theme, size):
    for name, plan in [*_normal_pages().items(), ("overflow", _overflowing_page())]:
        drawn = render_slide(plan, theme, size)
        bare = render_slide(plan, theme, size, draw_text=False)
        ink = ImageChops.difference(drawn.image, bare.image).convert("L")
        ink = ink.point(lambda value: 255 if value > 24 else 0)
        covered = Image.new("L", size, 0)
        canvas = ImageDraw.Draw(covered)
        for box in drawn.boxes:
            canvas.rectangle((box.x - 1, box.y - 1, box.x + box.w, box.y + box.h), fill=255)
        assert ImageChops.subtract(ink, covered).getbbox() is None, name


def test_rendering_is_deterministic(theme):
    first = render_slide(COMPARISON_EN, theme, (1536, 1024))
    second = render_slide(COMPARISON_EN, theme, (1536, 1024))
    assert first.boxes == second.boxes
    assert first.image.tobytes() == second.image.tobytes()


def test_font_scale_below_one_gives_smaller_fonts(theme):
    normal = render_slide(COVER, theme, (1536, 864))
    smaller = render_slide(COVER, theme, (1536, 864), {"font_scale": 0.8})
    assert smaller.font_scale == 0.8
    assert smaller.boxes[0].role == "title"
    assert smaller.boxes[0].font_px < normal.boxes[0].font_px


def test_max_items_trims_the_item_list(theme):
    result = render_slide(_content("sequential", ZH_ITEMS), theme, (1536, 864), {"max_items": 2})
    assert [box.text for box in result.boxes if box.role == "item_title"] == [
        "数据采集",
        "学情诊断",
    ]


def test_text_contrast_max_uses_black_or_white(theme):
    for plan in _normal_pages().values():
        result = render_slide(plan, theme, (1536, 864), {"text_contrast": "max"})
        assert {box.color for box in result.boxes} <= {BLACK, WHITE}


def _ring_median(image: Image.Image, box) -> str:
    """Median colour of the ring 2 to 8 pixels around a box, as a reader sees it."""
    ring = Image.new("L", image.size, 0)
    canvas = ImageDraw.Draw(ring)
    canvas.rectangle((box.x - 8, box.y - 8, box.x + box.w + 7, box.y + box.h + 7), fill=255)
    canvas.rectangle((box.x - 2, box.y - 2, box.x + box.w + 1, box.y + box.h + 1), fill=0)
    red, green, blue = (round(value) for value in ImageStat.Stat(image, ring).median)
    return f"#{red:02x}{green:02x}{blue:02x}"


@pytest.mark.parametrize("size", SUPPORTED_SIZES)
@pytest.mark.parametrize("scrim", [0.0, None])
def test_text_colour_contrasts_with_what_is_around_it(theme, size, scrim):
    params = {"scrim": scrim} if scrim is not None else {}
    for name, plan in _normal_pages().items():
        result = render_slide(plan, theme, size, params)
        for box in result.boxes:
            ratio = contrast_ratio(box.color, _ring_median(result.image, box))
            minimum = required_contrast(box.font_px, box.bold, size)
            assert ratio >= minimum - 0.05, (name, box.role, box.color, ratio)


def test_scrim_changes_the_pixels_under_the_cover_title(theme):
    bare = render_slide(COVER, theme, (1536, 864), {"scrim": 0.0}, draw_text=False)
    panel = render_slide(COVER, theme, (1536, 864), {"scrim": 0.9}, draw_text=False)
    title = next(box for box in panel.boxes if box.role == "title")
    area = (title.x, title.y, title.x + title.w, title.y + title.h)
    assert ImageChops.difference(bare.image.crop(area), panel.image.crop(area)).getbbox()


def test_the_cover_without_a_reference_image_still_renders(theme):
    plain = Theme.from_palette(["#ffffff", "#1f3a5f", "#e07a24", "#1b1b1b", "#6b7280"])
    result = render_slide(COVER, plain, (1024, 768))
    assert result.image.size == (1024, 768)
    assert [box.role for box in result.boxes] == ["title", "subtitle"]


def test_the_cjk_face_is_noto_sans_cjk_sc():
    face = fonts.font_face(False)
    assert face is not None
    assert face.family == fonts.CJK_FAMILY
    assert fonts.font_face(True).path != face.path


@pytest.fixture
def fresh_font_caches():
    cached = (fonts.font_face, fonts.get_font, fonts.advance, fonts.line_extents)
    cached += (fonts._warn_missing_cjk, text.wrap)  # noqa: SLF001 (its cache is the point)
    for function in cached:
        function.cache_clear()
    yield
    for function in cached:
        function.cache_clear()


def test_fonts_fall_back_to_dejavu_with_one_warning(monkeypatch, caplog, fresh_font_caches):
    dejavu = [("/usr/share/fonts/DejaVuSans.ttf", 0, ("DejaVu Sans",), ("book",))]
    monkeypatch.setattr(fonts, "_fc_list", lambda pattern: [] if "lang" in pattern else dejavu)
    with caplog.at_level(logging.WARNING, logger=fonts.__name__):
        regular, bold = fonts.font_face(False), fonts.font_face(True)
    assert regular == fonts.FontFace("/usr/share/fonts/DejaVuSans.ttf", 0, "DejaVu Sans")
    assert bold is None
    assert len(caplog.records) == 1


def test_rendering_falls_back_to_pillow_default_font(monkeypatch, fresh_font_caches, theme):
    monkeypatch.setattr(fonts, "_fc_list", lambda pattern: [])
    assert fonts.font_face(False) is None
    result = render_slide(COMPARISON_EN, theme, (1024, 768))
    assert result.image.size == (1024, 768)
    assert result.boxes


def _plan_texts(plan: dict) -> set[str]:
    texts = {plan["title"], plan.get("subtitle", "")}
    for item in plan["items"]:
        texts.update([item["title"], item["text"], *item["children"]])
    return texts


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("layout", CONTENT_LAYOUTS)
def test_a_layout_draws_only_the_outline_text_and_numbers_never_a_label(theme, layout, language):
    """No "Problem" / "Solution" / "问题" / "解决方案" or any other text the outline never had:
    every box is a text of the plan (or a marker's number)."""
    plan = {**_content("problem_solution", ZH_ITEMS[:3]), "language": language}

    result = render_slide(plan, theme, (1536, 864), {"layout": layout})

    invented = [
        box.text
        for box in result.boxes
        if box.text not in _plan_texts(plan) and not box.text.isdigit()
    ]
    assert invented == []


def test_a_tall_root_never_pushes_its_child_cards_off_the_slide(theme):
    """The child cards' minimum height gives way to the room left: below the safe box there is
    only background, as on the same page without items."""
    root = _item("", "A long root text that wraps over many lines of the box. " * 14)
    plan = _content("hierarchical", [{**root, "children": ["first child", "second child"]}])
    y1 = render_slide(plan, theme, (1536, 864)).safe_box[3]

    strips = [
        render_slide(page, theme, (1536, 864)).image.crop((0, y1, 1536, 864))
        for page in (plan, {**plan, "items": []})
    ]

    assert ImageChops.difference(*strips).getbbox() is None


def test_a_continued_problem_solution_page_is_a_list_not_a_problem_panel(theme):
    plan = _content("problem_solution", ZH_ITEMS[:3])

    assert render_slide(plan, theme, (1536, 864)).layout == "problem_solution"
    assert render_slide({**plan, "continues": 1}, theme, (1536, 864)).layout == "bullets"

"""The fit measure: the renderer's own layout at its minimum font sizes says whether a page's
text stays inside the safe box; the planner splits by it, in Chinese and English."""

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from generation.planning.outline import parse_outline
from generation.planning.planner import compose_pages
from generation.render.fit import boxes_outside, fit_measure, page_fits
from generation.render.layouts import CONTENT_LAYOUTS
from generation.render.renderer import lay_out, render_slide
from generation.slides import SUPPORTED_SIZES, Theme

SIZE = (1536, 864)
SAMPLES = Path(__file__).resolve().parents[2] / "generation" / "samples"
SAFE = (92, 60, 1444, 804)
LONG_EN = (
    "Treat restores, not backups, as the product: a backup that has never been restored is a "
    "hope, and you find out on an ordinary Wednesday rather than during an outage. "
)
LONG_ZH = "先把可观测性建设好，再去做任何性能优化，因为一半的性能问题其实是配置错误。"


def _content(items: list[dict], title: str = "Advice", language: str = "en") -> dict:
    return {"kind": "content", "title": title, "language": language, "items": items}


def _bullet(text: str, children: tuple[str, ...] = ()) -> dict:
    return {"title": "", "text": text, "children": list(children)}


def _chars(pages: list[dict]) -> Counter:
    texts = [
        text
        for page in pages
        for item in page["items"]
        for text in (item["title"], item["text"], *item["children"])
    ]
    return Counter(char for char in "".join(texts) if not char.isspace())


def _outside(plan: dict, params: dict | None = None) -> list:
    result = render_slide(plan, Theme(), SIZE, params, draw_text=False)
    boxes = [(box.x, box.y, box.x + box.w, box.y + box.h) for box in result.boxes]
    return boxes_outside(boxes, result.safe_box)


def test_a_box_one_pixel_past_the_safe_box_is_outside_and_one_on_its_edge_is_not():
    x0, y0, x1, y1 = SAFE
    assert boxes_outside([(x0, y0, x1, y1)], SAFE) == []
    for box in [(x0 - 1, y0, x1, y1), (x0, y0 - 1, x1, y1), (x0, y0, x1 + 1, y1)]:
        assert boxes_outside([box], SAFE) == [box]
    assert boxes_outside([(x0, y0, x1, y1 + 1)], SAFE) == [(x0, y0, x1, y1 + 1)]


def test_a_short_page_fits_and_a_page_of_long_bullets_does_not():
    assert page_fits(_content([_bullet("Short point"), _bullet("Another")]), SIZE)

    crowded = _content([_bullet(LONG_EN * 2) for _ in range(5)])
    assert not page_fits(crowded, SIZE)
    assert _outside(crowded)  # what the measure foresaw: drawn, the text would leave the slide


def test_the_measure_depends_on_the_slide_size():
    plan = _content([_bullet(LONG_EN * 2) for _ in range(3)])

    assert page_fits(plan, SIZE)
    assert not page_fits(plan, (1024, 768))


def test_the_measure_in_a_forced_layout_says_what_that_layout_draws():
    plan = _content([_bullet(LONG_EN) for _ in range(4)])
    drawn = {layout: not _outside(plan, {"layout": layout}) for layout in CONTENT_LAYOUTS}

    assert set(drawn.values()) == {True, False}  # the page fits some layouts, not all
    assert {layout: page_fits(plan, SIZE, layout=layout) for layout in CONTENT_LAYOUTS} == drawn
    assert fit_measure(SIZE, layout="grid")(plan) == drawn["grid"]


@pytest.mark.parametrize(
    ("text", "title", "language", "suffix"),
    [(LONG_EN * 12, "Advice", "en", " (cont.)"), (LONG_ZH * 30, "经验", "zh", "（续）")],
)
def test_a_bullet_longer_than_a_slide_is_continued_and_every_character_is_kept(
    text, title, language, suffix
):
    outline = {
        "title": "Talk",
        "language": language,
        "sections": [{"title": "", "items": [], "pages": [{"title": title, "items": []}]}],
    }
    outline["sections"][0]["pages"][0]["items"] = [_bullet(text)]

    pages = compose_pages(outline, fits=fit_measure(SIZE))[1:]

    assert len(pages) >= 2
    assert [page["title"] for page in pages[:2]] == [title, title + suffix]
    assert all(page_fits(page, SIZE) and not _outside(page) for page in pages)
    assert _chars(pages) == Counter(char for char in text if not char.isspace())


@pytest.mark.parametrize("name", ["long-talk-en.md", "long-talk-zh.md"])
def test_long_talk_outlines_plan_into_pages_that_all_fit_and_keep_all_text(name):
    outline = parse_outline((SAMPLES / name).read_text(encoding="utf-8"))
    unsplit = compose_pages(outline, max_items_per_page=None)

    pages = compose_pages(outline, fits=fit_measure(SIZE))

    assert sum(bool(_outside(page)) for page in unsplit) >= 2  # cut off, drawn as outlined
    assert len(pages) > len(unsplit)
    assert not [page["title"] for page in pages if _outside(page)]
    assert not any(page.get("unfit") for page in pages)
    assert _chars(pages) >= _chars(unsplit)  # headings may repeat; nothing is lost


def test_a_title_longer_than_the_slide_is_unfit_not_drawn():
    outline = {"title": LONG_EN * 12, "language": "en", "sections": []}

    (cover,) = compose_pages(outline, fits=fit_measure(SIZE))

    assert "does not fit" in cover["unfit"]


@pytest.mark.parametrize("size", SUPPORTED_SIZES)
@pytest.mark.parametrize("name", ["long-talk-en.md", "long-talk-zh.md"])
def test_every_supported_slide_size_gets_pages_that_fit(name, size):
    outline = parse_outline((SAMPLES / name).read_text(encoding="utf-8"))

    pages = compose_pages(outline, fits=fit_measure(size))

    assert all(page_fits(page, size) for page in pages)
    assert _chars(pages) >= _chars(compose_pages(outline))


def _placed(plan: dict, theme: Theme, size: tuple[int, int], params: dict | None, draw: bool):
    slide, layout = lay_out(plan, theme, size, params, draw=draw)
    blocks = [(block.box, block.lines) for block in slide.blocks]
    return blocks, layout, slide.overflow, (slide.w, slide.h, slide.safe)


@pytest.mark.parametrize("size", SUPPORTED_SIZES)
def test_measuring_without_drawing_places_every_block_where_drawing_does(size):
    # The measure must see exactly what render_slide draws: every page kind and layout, pages
    # that overflow, and the batch's own logo and photo (the photo moves the cover's text).
    own = replace(
        Theme(), logo=Image.new("RGBA", (80, 40), "red"), photo=Image.new("RGB", (60, 90))
    )
    pages = [
        page
        for name in ("ai-classroom-zh.md", "long-talk-en.md", "remote-work-en.md")
        for page in compose_pages(
            parse_outline((SAMPLES / name).read_text(encoding="utf-8")),
            max_items_per_page=None,
            ending=True,
        )
    ]
    content = next(page for page in pages if page["kind"] == "content")
    cases = [(page, theme, None) for page in pages for theme in (Theme(), own)]
    cases += [(content, Theme(), {"layout": layout}) for layout in CONTENT_LAYOUTS]
    assert {page["kind"] for page, _, _ in cases} >= {"cover", "contents", "transition", "content"}
    assert any(_outside(page) for page, _, _ in cases)  # overflowing pages too

    for plan, theme, params in cases:
        drawn = _placed(plan, theme, size, params, draw=True)
        measured = _placed(plan, theme, size, params, draw=False)
        assert measured == drawn, plan["title"]
        assert lay_out(plan, theme, size, params, draw=False)[0].image.size == (1, 1)

"""Paragraphs whose lines touch (a bold serif item of three lines: descenders meet the
ascenders below, no blank row between) are one region of several lines on an image-model
slide: it is kept (judged as a picture by its area a line) and read at the size of one of its
lines, not of the whole paragraph (read as one line, its lines came out 3-12 times too small
and read as nothing)."""

import numpy as np
from PIL import Image, ImageDraw

from generation.quality.regions import find_regions, text_lines
from generation.render.fonts import get_font
from generation.render.renderer import render_slide
from generation.slides import Theme
from templates_app.starter import STARTERS
from tests.generation.test_text_regions import SIZE, changed, failing, needs_tesseract

SERIF = STARTERS[5]  # a dark starter in Noto Serif CJK: its bold lines touch
LONG_ITEMS = {
    "kind": "content",
    "title": "Problems we kept hitting",
    "subtitle": "",
    "items": [
        {
            "title": "",
            "text": "Replication lag spikes of several minutes whenever the nightly analytics "
            "jobs ran heavy sequential scans on the replicas, which meant that our "
            "read-after-write flows showed customers stale balances and duplicate refund buttons",
            "children": [],
        },
        {
            "title": "",
            "text": "Connection storms after every deploy, because each new application "
            "container opened its full pool at once and the primary spent more time forking "
            "backends than answering queries",
            "children": [],
        },
    ],
    "language": "en",
}


def serif_slide(plan: dict):
    theme = Theme.from_palette(
        SERIF["palette"],
        reference_image=SERIF["draw"](SERIF["palette"]),
        style=SERIF["style"],
        fonts=SERIF["fonts"],
    )
    return render_slide(plan, theme, SIZE, {"layout": "step_list"}).image


def rows(*profile: int) -> np.ndarray:
    """A mask whose rows hold the given numbers of ink pixels."""
    mask = np.zeros((len(profile), max(profile) + 1), dtype=bool)
    for y, ink in enumerate(profile):
        mask[y, :ink] = True
    return mask


def test_one_line_with_ascenders_and_descenders_is_one_line():
    assert text_lines(rows(8, 12, 10, 90, 100, 95, 100, 20, 12, 6)) == 1


def test_lines_touching_at_nearly_blank_rows_are_counted_apart():
    line = (8, 12, 90, 100, 95, 40)
    assert text_lines(rows(*line, 2, *line, 1, *line)) == 3


def test_a_row_of_a_quarter_ink_between_two_full_ones_is_no_gap():
    assert text_lines(rows(100, 90, 25, 95, 100)) == 1


def test_a_region_of_touching_lines_is_kept_and_knows_its_lines():
    image = Image.new("RGB", SIZE, "#ffffff")
    draw = ImageDraw.Draw(image)
    font = get_font(40, bold=True)
    texts = [
        "Replication lag spikes of several minutes whenever",
        "heavy sequential scans on the replicas, which meant",
        "showed customers stale balances and duplicate refunds",
    ]
    for n, text in enumerate(texts):  # 46 px apart: descenders reach the ascenders below
        draw.text((100, 300 + 46 * n), text, font=font, fill="#111111")

    (region,) = find_regions(image)

    assert region.lines == 3


@needs_tesseract
def test_a_slide_of_touching_bold_serif_paragraphs_is_not_flagged():
    assert failing(serif_slide(LONG_ITEMS), LONG_ITEMS) == []


@needs_tesseract
def test_one_wrong_letter_in_a_touching_bold_serif_paragraph_is_caught():
    text = LONG_ITEMS["items"][0]["text"]
    garbled = changed(LONG_ITEMS, 0, "text", text.replace("stale", "stole"))
    assert failing(serif_slide(garbled), LONG_ITEMS) == [text]

"""Each run of text read on an image-model slide is part of one planned line only (the lines
take their runs longest first): a line the plan has twice (two cards titled 方案) must be on the
slide twice, and a short line is not found inside a longer one (the title's 方案), so one copy
read right does not pass for a garbled or missing other."""

from generation.quality.ocr import Word
from generation.quality.regions import Region
from generation.quality.slide_check import Reading, Run, _best_chains
from generation.quality.text_check import Line
from tests.generation.test_text_regions import changed, failing, needs_tesseract, slide

TWICE = [Line("item_title", "方案"), Line("item_title", "方案")]
TWO_TITLES = {
    "kind": "content",
    "title": "上线中的问题与解决方案",
    "subtitle": "",
    "items": [
        {"title": "方案", "text": "分块预填充，峰值显存降低 40%", "children": []},
        {"title": "方案", "text": "大小模型级联，先快后准", "children": []},
    ],
    "language": "zh",
}


def cards(*titles: str) -> Reading:
    """One card title a row, far apart (no links between them)."""
    return Reading(
        [
            Run(n, Region(100, 100 + n * 300, 80, 40), (Word(title, 100, 100 + n * 300, 180, 140),))
            for n, title in enumerate(titles)
        ]
    )


def test_a_line_planned_twice_is_looked_for_in_two_places():
    reading = cards("方案", "方能案")  # one copy right, the other with a character inserted

    first, second = _best_chains(reading, TWICE)

    assert reading.text(first) == "方案"
    assert reading.text(second) == "方能案"


def test_a_line_planned_twice_and_shown_once_fails_once():
    reading = cards("方案")

    assert _best_chains(reading, TWICE) == [(0,), ()]


def test_a_line_planned_twice_and_shown_twice_is_read_right_twice():
    reading = cards("方案", "方案")

    assert [reading.text(chain) for chain in _best_chains(reading, TWICE)] == ["方案", "方案"]


def test_a_short_line_is_not_found_inside_a_longer_one():
    title = Run(0, Region(100, 60, 360, 56), (Word("上线中的问题与解决", 100, 60, 460, 116),))
    tail = Run(1, Region(470, 60, 80, 56), (Word("方案", 470, 60, 550, 116),))  # same row
    card = Run(2, Region(100, 300, 80, 40), (Word("方案", 100, 300, 180, 340),))
    lines = [Line("title", "上线中的问题与解决方案"), *TWICE]

    shown_once = _best_chains(Reading([title, tail]), lines)
    shown_twice = _best_chains(Reading([title, tail, card]), lines)

    assert shown_once == [(0, 1), (), ()]
    assert shown_twice == [(0, 1), (2,), ()]


@needs_tesseract
def test_a_title_planned_twice_is_not_flagged_when_both_copies_are_right():
    assert failing(slide(TWO_TITLES, "grid"), TWO_TITLES) == []


@needs_tesseract
def test_one_wrong_copy_of_a_title_planned_twice_is_caught():
    garbled = changed(TWO_TITLES, 1, "title", "方能案")
    assert failing(slide(garbled, "grid"), TWO_TITLES) == ["方案"]


@needs_tesseract
def test_a_missing_copy_of_a_title_planned_twice_is_caught():
    garbled = changed(TWO_TITLES, 1, "title", "")
    assert failing(slide(garbled, "grid"), TWO_TITLES) == ["方案"]

"""bench_text_check's garbles change one planned line each, seeded; the command prints one JSON line."""

import io
import json
import random

import pytest
from django.core.management import call_command
from PIL import Image

from generation.management.commands.bench_text_check import (
    SAMPLES,
    SIZE,
    clean_cases,
    outline_pages,
    shown_elsewhere,
)
from generation.planning.outline import parse_outline
from generation.planning.planner import compose_pages
from generation.quality.garble import LOOK_ALIKE_TABLE, MUTATIONS, degrade, garble
from generation.quality.text_check import plan_lines
from generation.quality.textdiff import LOOK_ALIKES, distance
from generation.render.fit import boxes_outside, fit_measure
from generation.render.renderer import render_slide
from generation.slides import Theme

PLAN = {
    "kind": "content",
    "title": "推理加速的五个步骤",
    "subtitle": "",
    "items": [
        {
            "title": "第一步",
            "text": "量化到 INT8，精度损失小于 0.5%",
            "children": ["按租户分配配额"],
        },
        {"title": "Step 2", "text": "Shadow-read and compare the results", "children": []},
    ],
    "language": "zh",
}


@pytest.mark.parametrize("kind", MUTATIONS)
def test_a_garble_changes_exactly_one_planned_line(kind):
    garbled = garble(PLAN, kind, random.Random(5))
    before, after = plan_lines(PLAN), plan_lines(garbled.plan)
    assert before[garbled.index] == garbled.line
    if kind == "drop":
        assert len(after) == len(before) - 1
        assert garbled.line not in after
    else:
        changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
        assert changed == [(garbled.line, after[garbled.index])]
        assert after[garbled.index].text == garbled.shown
        assert distance(garbled.line.text, garbled.shown) >= 1


def test_every_nth_clean_slide_spreads_the_sample_over_outlines_and_templates():
    every = clean_cases(SAMPLES, 0)
    spread = clean_cases(SAMPLES, 0, every=24)
    assert spread == every[::24]
    assert {case["plan"]["language"] for case in spread} == {"zh", "en"}
    assert len({id(case["theme"]) for case in spread}) > 1
    assert clean_cases(SAMPLES, 2, every=24) == spread[:2]
    assert [case["n"] for case in spread] == list(range(0, len(every), 24))


def test_side_by_side_samples_with_offsets_cover_every_clean_slide_once():
    every = clean_cases(SAMPLES, 0)
    parts = [clean_cases(SAMPLES, 0, every=5, offset=k) for k in range(5)]
    assert sorted(case["n"] for part in parts for case in part) == list(range(len(every)))


def test_garbles_are_the_same_for_the_same_seed():
    first = [garble(PLAN, kind, random.Random(9)).shown for kind in MUTATIONS]
    second = [garble(PLAN, kind, random.Random(9)).shown for kind in MUTATIONS]
    assert first == second


def test_look_alike_garbles_never_use_the_look_alikes_the_check_folds():
    folded = {chr(code) for code in LOOK_ALIKES} | {"O", "I", "L", "S"}
    assert not folded & set(LOOK_ALIKE_TABLE)
    assert all(distance(a, b) >= 1 for a, b in LOOK_ALIKE_TABLE.items())


def test_a_plan_without_a_line_to_garble_gives_none():
    assert garble({"title": "", "items": []}, "swap", random.Random(1)) is None
    assert garble({"title": "Go", "items": []}, "drop", random.Random(1)) is None


def test_degradation_is_seeded_and_keeps_the_size():
    image = Image.new("RGB", (320, 180), "#f7f9fc")
    first, second = degrade(image, random.Random(4)), degrade(image, random.Random(4))
    assert first.size == (320, 180)
    assert first.tobytes() == second.tobytes()


@pytest.mark.ocr
def test_the_command_prints_one_json_line_with_figures_per_path():
    out = io.StringIO()

    call_command("bench_text_check", "--limit=1", "--seed=3", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    assert set(figures) == {"seed", "every", "offset", "slides", "paths", "seconds"}
    assert figures["slides"]["clean"] == 1
    assert set(figures["paths"]) == {"box", "slide", "slide_clean"}
    box = figures["paths"]["box"]
    assert box["clean_slides"] == 1
    assert 0 <= box["clean_flag_rate"] <= 1
    assert set(box["by_kind"]) <= set(MUTATIONS)
    assert set(box["by_language"]) <= {"zh", "en"}
    for key in (
        "caught",
        "by_length",
        "lookalike_read_as_planned",
        "ms_per_clean_slide",
        "ms_per_garbled_slide",
    ):
        assert key in box
    assert len(box["clean_flagged_slides"]) == box["clean_flagged"]


@pytest.mark.ocr
def test_clean_only_checks_the_clean_slides_and_lists_each_flagged_one():
    out = io.StringIO()

    call_command("bench_text_check", "--limit=2", "--clean-only", "--paths=box", stdout=out)

    box = json.loads(out.getvalue())["paths"]["box"]
    assert box["clean_slides"] == 2
    assert box["garbles"] == 0
    assert box["ms_per_garbled_slide"] is None
    for slide in box["clean_flagged_slides"]:
        assert slide["n"] in (0, 1)
        assert slide["lines"]
        assert all(len(line) == 2 for line in slide["lines"])


def test_lines_the_slide_shows_more_often_than_planned_are_not_garbled():
    plan = {"kind": "transition", "title": "Context", "subtitle": "01", "section_index": 1}
    boxes = render_slide(plan, Theme(), (1536, 864)).boxes  # "01" also drawn as the badge
    skip = shown_elsewhere(plan_lines(plan), boxes)
    assert skip == {1}
    for seed in range(5):
        assert garble(plan, "swap", random.Random(seed), skip=skip).line.text == "Context"


SERIF = ("Noto Serif CJK SC Bold", "Noto Serif CJK SC")


@pytest.mark.parametrize("name", ["long-talk-en.md", "long-talk-zh.md"])
def test_the_bench_makes_pages_as_the_plan_step_does(name):
    outline = parse_outline((SAMPLES / name).read_text(encoding="utf-8"))

    pages = outline_pages(outline, SERIF, lambda n: "auto")

    assert [plan for plan, _ in pages] == compose_pages(outline, fits=fit_measure(SIZE, SERIF))


def _cut_off(plan: dict, params: dict, fonts: tuple[str, str]) -> bool:
    theme = Theme(title_font=fonts[0], body_font=fonts[1])
    render = render_slide(plan, theme, SIZE, params, draw_text=False)
    edges = [(b.x, b.y, b.x + b.w, b.y + b.h) for b in render.boxes]
    return bool(boxes_outside(edges, render.safe_box))


@pytest.mark.parametrize("name", ["long-talk-en.md", "long-talk-zh.md"])
def test_the_bench_splits_long_pages_in_the_layout_it_forces_so_no_text_is_cut_off(name):
    outline = parse_outline((SAMPLES / name).read_text(encoding="utf-8"))
    unsplit = compose_pages(outline)

    pages = outline_pages(outline, SERIF, lambda n: "grid")

    grid = {"layout": "grid"}
    assert any(_cut_off(plan, grid, SERIF) for plan in unsplit if plan["kind"] == "content")
    continued = [(plan, params) for plan, params in pages if plan.get("continues")]
    assert len(pages) > len(unsplit)
    assert continued
    assert all(params == grid for plan, params in pages if plan["kind"] == "content")
    assert not [plan["title"] for plan, params in pages if _cut_off(plan, params, SERIF)]


def test_the_bench_draws_each_template_in_its_own_fonts():
    fonts = {
        (case["theme"].title_font, case["theme"].body_font)
        for case in clean_cases(SAMPLES, 0, every=7)
    }
    assert SERIF in fonts
    assert len(fonts) == 2  # and the sans of the others

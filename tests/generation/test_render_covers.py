"""Cover and ending pages keep their text clear of the template's decorations, and the ending
page's list of sections breaks between sections, not inside one."""

import random

from PIL import Image, ImageDraw

from generation.render.renderer import render_slide
from generation.render.text import Part, break_at, wrap
from generation.slides import Theme

SIZE = (1536, 864)
PALETTE = ["#fdf8ec", "#2e6b4f", "#e2572f", "#1b1b1b", "#6b6b6b"]
ENDING = {
    "kind": "ending",
    "title": "Thank you",
    "subtitle": "Why remote work stays · Tools that help teams · Measuring what matters · What comes next",
}


def _reference(bar_left: int | None) -> Image.Image:
    """A plain cream background, with a green bar from `bar_left` to the right edge in the
    slide's lower two thirds when `bar_left` is given (as the education template draws)."""
    image = Image.new("RGB", SIZE, PALETTE[0])
    if bar_left is not None:
        ImageDraw.Draw(image).rectangle((bar_left, 300, SIZE[0], SIZE[1]), fill=PALETTE[1])
    return image


def _right_edge(result) -> int:
    return max(box.x + box.w for box in result.boxes)


def test_the_ending_text_stays_left_of_a_decoration_it_would_otherwise_cover():
    plain = render_slide(
        ENDING, Theme.from_palette(PALETTE, reference_image=_reference(None)), SIZE
    )
    reach = _right_edge(plain)
    decorated = render_slide(
        ENDING, Theme.from_palette(PALETTE, reference_image=_reference(reach - 4)), SIZE
    )

    assert _right_edge(decorated) < reach - 4
    assert not decorated.overflow


def test_a_decoration_beyond_the_text_changes_nothing():
    plain = render_slide(
        ENDING, Theme.from_palette(PALETTE, reference_image=_reference(None)), SIZE
    )
    far = render_slide(
        ENDING,
        Theme.from_palette(PALETTE, reference_image=_reference(_right_edge(plain) + 60)),
        SIZE,
    )

    assert [(b.x, b.y, b.w, b.h) for b in far.boxes] == [(b.x, b.y, b.w, b.h) for b in plain.boxes]


def test_a_background_busy_everywhere_keeps_the_full_width_behind_the_panel():
    noise = random.Random(7)
    texture = Image.new("RGB", SIZE)
    texture.putdata(
        [tuple(noise.randrange(256) for _ in range(3)) for _ in range(SIZE[0] * SIZE[1])]
    )
    plain = render_slide(
        ENDING, Theme.from_palette(PALETTE, reference_image=_reference(None)), SIZE
    )

    busy = render_slide(ENDING, Theme.from_palette(PALETTE, reference_image=texture), SIZE)

    assert _right_edge(busy) == _right_edge(plain)


def test_the_section_list_breaks_between_sections_and_keeps_its_text():
    part = Part(ENDING["subtitle"], "subtitle", 40)

    broken = break_at(part, " · ", 700)

    lines = broken.text.split("\n")
    assert len(lines) > 1
    assert all(
        line.rstrip(" ·") in ENDING["subtitle"].split(" · ") or " · " in line for line in lines
    )
    assert " ".join(broken.text.split()) == " ".join(ENDING["subtitle"].split())
    assert all(len(wrap(line, 40, False, 700)) == 1 for line in lines)


def test_a_section_list_on_one_line_is_left_alone():
    part = Part("认识课堂中的人工智能 · 风险与应对", "subtitle", 40)

    assert break_at(part, " · ", 1200) == part


def test_a_section_longer_than_a_line_still_wraps():
    long = "A very long section title that cannot possibly fit on one line of the slide"
    part = Part(f"Intro · {long}", "subtitle", 40)

    broken = break_at(part, " · ", 500)

    assert broken.text.split("\n") == ["Intro ·", long]
    assert len(wrap(broken.text, 40, False, 500)) > 2


def test_text_that_cannot_fit_clear_of_the_decorations_takes_the_full_width_instead():
    sections = " · ".join(f"Section number {n} with a rather long name" for n in range(1, 9))
    ending = {**ENDING, "subtitle": sections}
    plain = render_slide(
        ending, Theme.from_palette(PALETTE, reference_image=_reference(None)), SIZE
    )
    assert not plain.overflow
    narrow = _reference(SIZE[0] // 2 + 346)  # a clear column of 600 px: too narrow for it

    decorated = render_slide(ending, Theme.from_palette(PALETTE, reference_image=narrow), SIZE)

    assert not decorated.overflow
    assert _right_edge(decorated) == _right_edge(plain)
    assert {box.text for box in decorated.boxes} == {box.text for box in plain.boxes}

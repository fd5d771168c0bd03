"""Two helpers made faster for the fit measure and the slide check, held to what they
computed before: which characters are CJK (the ranges' edges, one in and one out), and the
median colour of the ring around a text box (against the median of the ring's own pixels)."""

import random
import statistics

import numpy as np
from PIL import Image

from generation.quality.image_checks import RING_GAP_PX, RING_WIDTH_PX, ring_median
from generation.render.text import _CJK_RANGES, has_cjk, is_cjk
from generation.slides import TextBox


def in_ranges(code: int) -> bool:
    return any(low <= code <= high for low, high in _CJK_RANGES)


def test_each_cjk_range_starts_and_ends_where_it_says_and_not_one_step_beyond():
    edges = [code for low, high in _CJK_RANGES for code in (low - 1, low, high, high + 1)]

    assert [is_cjk(chr(code)) for code in edges] == [in_ranges(code) for code in edges]


def test_a_text_has_cjk_when_one_character_is_and_not_otherwise():
    assert has_cjk("Quarterly plan 季")
    assert not has_cjk("Quarterly plan ~")
    assert not has_cjk("")


def ring_pixels(image: Image.Image, box: TextBox) -> list[tuple[int, int, int]]:
    """The pixels at RING_GAP_PX..RING_GAP_PX + RING_WIDTH_PX outside the box, one by one."""
    near, far = RING_GAP_PX, RING_GAP_PX + RING_WIDTH_PX
    pixels = []
    for y in range(max(0, box.y - far), min(image.height, box.y + box.h + far)):
        for x in range(max(0, box.x - far), min(image.width, box.x + box.w + far)):
            inside = box.x - near <= x < box.x + box.w + near and (
                box.y - near <= y < box.y + box.h + near
            )
            if not inside:
                pixels.append(image.getpixel((x, y)))
    return pixels


def test_the_ring_median_is_the_lower_median_of_the_ring_pixels_per_channel():
    rng = random.Random(3)
    for seed in range(40):
        levels = rng.choice([2, 7, 256])
        pixels = np.random.default_rng(seed).integers(0, levels, (40, 60, 3), dtype=np.uint8)
        image = Image.fromarray(pixels, "RGB")
        box = TextBox(
            text="x",
            x=rng.randint(0, 50),
            y=rng.randint(0, 30),
            w=rng.randint(1, 20),
            h=rng.randint(1, 12),
            font_px=20,
            color="#000000",
            role="body",
        )
        ring = ring_pixels(image, box)
        expected = tuple(statistics.median_low([pixel[c] for pixel in ring]) for c in range(3))

        assert ring_median(image, box) == expected

import pytest

from generation.wcag import (
    contrast_ratio,
    is_large_text,
    min_font_pt,
    relative_luminance,
    required_contrast,
)

BLACK, WHITE = (0, 0, 0), (255, 255, 255)


def test_black_on_white_is_21_and_a_colour_on_itself_is_1():
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, BLACK) == pytest.approx(21.0)
    assert contrast_ratio((119, 119, 119), (119, 119, 119)) == pytest.approx(1.0)


def test_767676_is_the_lightest_grey_that_passes_aa_on_white():
    assert contrast_ratio((0x76, 0x76, 0x76), WHITE) >= 4.5
    assert contrast_ratio((0x77, 0x77, 0x77), WHITE) < 4.5


def test_dark_channels_are_linear_below_the_srgb_threshold():
    # 10/255 = 0.0392 lies below both the current 0.04045 and the old 0.03928 threshold
    assert relative_luminance((10, 10, 10)) == pytest.approx(10 / 255 / 12.92)
    assert relative_luminance((11, 11, 11)) == pytest.approx(((11 / 255 + 0.055) / 1.055) ** 2.4)


@pytest.mark.parametrize(
    ("pt", "bold", "large"),
    [(24.0, False, True), (23.9, False, False), (18.67, True, True), (18.6, True, False)],
)
def test_large_text_is_24_pt_or_bold_from_18_67_pt(pt, bold, large):
    assert is_large_text(pt, bold=bold) is large
    assert required_contrast(pt, bold=bold) == (3.0 if large else 4.5)


def test_titles_need_24_pt_and_everything_else_18_pt():
    assert min_font_pt("title") == 24.0
    assert [min_font_pt(role) for role in ("subtitle", "item_text", "number")] == [18.0] * 3

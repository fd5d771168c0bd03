"""Expected text compared with what OCR read (generation/quality/textdiff.py): normalising,
edit distances, the character error rate, the OCR languages a text needs, marked spans."""

from generation.quality.ocr import languages_for
from generation.quality.textdiff import (
    cer,
    compare,
    diff_text,
    fit_distance,
    levenshtein,
    normalize,
)


def test_normalize_folds_full_width_forms_and_case():
    assert normalize("ＡＢＣ，１２３！") == "abc123"


def test_normalize_drops_whitespace_bullets_and_punctuation():
    assert normalize("• 营收\u3000增长\t5%\n") == "营收增长5"
    assert normalize("▪ Step 1 → 2 · (done)") == "step12done"
    assert normalize("- 下一步：扩大") == "下一步扩大"


def test_levenshtein_counts_edits():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    assert levenshtein("营收增长", "营收增长") == 0
    assert levenshtein("flaw", "lawn") == levenshtein("lawn", "flaw") == 2


def test_fit_distance_counts_edits_to_a_part_of_the_window_with_free_ends():
    assert fit_distance("增长", "营收增长了") == 0
    assert fit_distance("增张", "营收增长了") == 1  # one wrong character
    assert fit_distance("收增长了吗", "营收增长了") == 1  # one past the window's end
    assert fit_distance("abc", "") == 3


def test_cer_is_distance_over_expected_length_after_normalising():
    assert cer("营收增长", "营收增") == 0.25
    assert cer("Revenue, grew!", "revenue  grew") == 0.0
    assert cer("下一步：扩大", "下一步:扩大") == 0.0
    assert cer("", "") == 0.0
    assert cer("", "noise") == 1.0


def test_ocr_languages_fit_the_expected_text():
    assert languages_for(["营收增长 Revenue"], "chi_sim+eng") == "chi_sim"
    assert languages_for(["Revenue grew"], "chi_sim+eng") == "eng"
    assert languages_for(["Revenue grew"], "chi_sim") == "chi_sim"


def test_diff_marks_the_differing_spans():
    assert diff_text("revenuegrew5", "revenuegrow5") == "revenuegr[e→o]w5"
    assert diff_text("营收增长", "营收长") == "营收[-增-]长"
    assert diff_text("营收", "营收额") == "营收{+额+}"
    assert diff_text("abc", "xyz") == "[abc→xyz]"
    assert compare("Revenue grew", "Revenue grow").diff == "revenuegr[e→o]w"

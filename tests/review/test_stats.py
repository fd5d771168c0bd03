import pytest

from review.stats import (
    Calibration,
    balanced_accuracy,
    calibrate,
    cohen_kappa,
    evaluator_deviation,
    krippendorff_alpha_interval,
    spearman,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C:
# 4 observers x 12 units, None = missing. Published alpha (interval) = 0.849.
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def _units(matrix: dict[str, list[float | None]]) -> dict[int, dict[str, float]]:
    size = len(next(iter(matrix.values())))
    return {
        unit: {rater: row[unit] for rater, row in matrix.items() if row[unit] is not None}
        for unit in range(size)
    }


def _table(yes_yes: int, yes_no: int, no_yes: int, no_no: int) -> tuple[list[bool], list[bool]]:
    a = [True] * (yes_yes + yes_no) + [False] * (no_yes + no_no)
    b = [True] * yes_yes + [False] * yes_no + [True] * no_yes + [False] * no_no
    return a, b


# --- Cohen's kappa ---------------------------------------------------------------------


def test_kappa_matches_the_classic_50_item_example():
    # p_o = 35/50 = 0.7, p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5, kappa = 0.2 / 0.5 = 0.4
    assert cohen_kappa(*_table(20, 5, 10, 15)) == pytest.approx(0.4)


def test_kappa_is_one_for_perfect_agreement_and_minus_one_for_perfect_disagreement():
    assert cohen_kappa([True, False, True, False], [True, False, True, False]) == 1.0
    assert cohen_kappa([True, False, True, False], [False, True, False, True]) == -1.0


def test_kappa_is_zero_when_raters_are_constant_in_opposite_categories():
    assert cohen_kappa([True, True, True], [False, False, False]) == 0.0


@pytest.mark.parametrize(
    ("a", "b"),
    [([], []), ([True, True], [True, True]), ([False, False, False], [False, False, False])],
)
def test_kappa_is_none_without_items_or_when_both_raters_use_one_same_category(a, b):
    assert cohen_kappa(a, b) is None


def test_kappa_rejects_sequences_of_different_length():
    with pytest.raises(ValueError, match="differ in length"):
        cohen_kappa([True], [True, False])


# --- balanced accuracy -----------------------------------------------------------------


def test_balanced_accuracy_averages_sensitivity_and_specificity():
    predicted = [True, True, False, False, True]
    actual = [True, False, False, False, True]
    # sensitivity 2/2, specificity 2/3
    assert balanced_accuracy(predicted, actual) == pytest.approx(5 / 6)


def test_balanced_accuracy_gives_a_majority_class_guess_one_half():
    actual = [False] * 9 + [True]
    assert balanced_accuracy([False] * 10, actual) == 0.5


@pytest.mark.parametrize("actual", [[], [True, True], [False, False, False]])
def test_balanced_accuracy_is_none_when_actual_lacks_a_class(actual):
    assert balanced_accuracy([True] * len(actual), actual) is None


# --- Spearman --------------------------------------------------------------------------


def test_spearman_uses_average_ranks_for_ties():
    # ranks x: 1, 2.5, 2.5, 4, 5; ranks y: 2, 1, 3.5, 3.5, 5; mean rank 3
    # Σdxdy = 2 + 1 - 0.25 + 0.5 + 4 = 7.25; Σdx² = Σdy² = 9.5; rho = 7.25 / 9.5 = 29/38
    assert spearman([1, 2, 2, 3, 4], [2, 1, 3, 3, 5]) == pytest.approx(29 / 38)


def test_spearman_is_one_for_any_increasing_relation_and_minus_one_for_decreasing():
    assert spearman([1, 2, 3, 4], [1, 10, 100, 1000]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [9, 5, 2, 0]) == pytest.approx(-1.0)


@pytest.mark.parametrize(
    ("x", "y"), [([], []), ([1.0], [2.0]), ([3, 3, 3], [1, 2, 3]), ([1, 2, 3], [4, 4, 4])]
)
def test_spearman_is_none_with_fewer_than_two_items_or_a_constant_series(x, y):
    assert spearman(x, y) is None


def test_spearman_rejects_sequences_of_different_length():
    with pytest.raises(ValueError, match="differ in length"):
        spearman([1, 2, 3], [1, 2])


# --- Krippendorff's alpha (interval) ---------------------------------------------------


def test_alpha_interval_matches_krippendorff_2011_worked_example():
    alpha = krippendorff_alpha_interval(_units(KRIPPENDORFF_2011))
    assert round(alpha, 3) == 0.849


def test_alpha_ignores_units_with_a_single_value():
    units = {"u1": {"A": 1, "B": 2}, "u2": {"A": 4, "B": 4}, "u3": {"A": 2, "B": 3}}
    alone = {**units, "u4": {"A": 100}, "u5": {"C": -50}}
    assert krippendorff_alpha_interval(alone) == krippendorff_alpha_interval(units)


def test_alpha_is_one_for_perfect_agreement():
    units = {"u1": {"A": 1, "B": 1}, "u2": {"A": 5, "B": 5, "C": 5}, "u3": {"B": 3, "C": 3}}
    assert krippendorff_alpha_interval(units) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "units",
    [
        {},
        {"u1": {"A": 1}, "u2": {"B": 5}},  # nothing pairable
        {"u1": {"A": 3, "B": 3}, "u2": {"A": 3, "C": 3}, "u3": {"D": 7}},  # one pairable value
    ],
)
def test_alpha_is_none_when_nothing_pairable_or_no_disagreement_possible(units):
    assert krippendorff_alpha_interval(units) is None


# --- evaluator deviation ---------------------------------------------------------------


def test_evaluator_deviation_compares_each_rater_with_the_mean_of_the_others():
    units = {
        "i1": {"A": 1, "B": 3, "C": 5},  # A vs 4 -> 3, B vs 3 -> 0, C vs 2 -> 3
        "i2": {"A": 2, "B": 2},  # A vs 2 -> 0, B vs 2 -> 0
        "i3": {"C": 4},  # C alone: not shared
        "i4": {"D": 7},  # D never shares an item
    }
    assert evaluator_deviation(units) == {"A": 1.5, "B": 0.0, "C": 3.0}


def test_evaluator_deviation_is_empty_without_shared_items():
    assert evaluator_deviation({}) == {}
    assert evaluator_deviation({"i1": {"A": 3}}) == {}


# --- calibrate -------------------------------------------------------------------------

SEPARABLE = [(s, s >= 6.5, s) for s in [3, 4, 5, 5.5, 6, 6.5, 7, 8, 9, 9.5]]

NOISY = [
    (2.0, False, 2),
    (3.5, False, 3),
    (4.0, True, 5),
    (4.5, False, 4),
    (5.0, False, 4),
    (5.5, True, 6),
    (6.0, False, 5),
    (6.5, True, 7),
    (7.0, True, 6),
    (7.5, False, 6),
    (8.0, True, 8),
    (9.0, True, 9),
]


def test_calibrate_finds_the_threshold_humans_actually_use():
    result = calibrate(SEPARABLE, current=5.0)
    assert result.n == 10
    assert result.current == 5.0
    assert result.suggested == 6.5
    assert result.kappa_suggested == 1.0
    # auto >= 5 accepts 8 of 10, humans 5: p_o = 0.7, p_e = 0.5, kappa = 0.4
    assert result.kappa_current == pytest.approx(0.4)
    assert result.balanced_accuracy == 1.0
    assert result.spearman == pytest.approx(1.0)
    low, high = result.interval
    assert low <= 6.5 <= high


def test_calibrate_breaks_kappa_ties_toward_the_current_threshold():
    # thresholds 4 and 8 both give kappa 0.5 (3 of 4 agree, p_e = 0.5); any t in (4, 7]
    # gives kappa 0, so a current threshold there loses to the nearer of the two
    samples = [(2, False, 2), (4, True, 6), (7, False, 4), (8, True, 8)]
    assert calibrate(samples, current=6.5, bootstrap=0).suggested == 8
    assert calibrate(samples, current=4.5, bootstrap=0).suggested == 4
    # 6 is equidistant from both: the lower one wins
    assert calibrate(samples, current=6, bootstrap=0).suggested == 4


def test_calibrate_keeps_the_current_threshold_when_it_is_as_good_as_any_observed_score():
    result = calibrate([(3, False, 2), (7, True, 8)], current=5, bootstrap=0)
    assert result.suggested == 5
    assert result.kappa_current == result.kappa_suggested == 1.0


def test_calibrate_bootstrap_is_deterministic_for_a_seed():
    first = calibrate(NOISY, current=6.0, seed=42)
    again = calibrate(NOISY, current=6.0, seed=42)
    assert first == again
    low, high = first.interval
    assert low <= high


def test_calibrate_interval_is_a_pair_of_candidate_thresholds():
    result = calibrate(NOISY, current=6.0, bootstrap=200, seed=1)
    candidates = {auto for auto, _, _ in NOISY} | {6.0}
    assert set(result.interval) <= candidates
    assert result.n == len(NOISY)
    assert -1 <= result.kappa_suggested <= 1
    assert result.kappa_suggested >= result.kappa_current


def test_calibrate_without_samples_keeps_the_current_threshold_and_reports_nothing():
    assert calibrate([], current=6.0) == Calibration(
        n=0,
        current=6.0,
        suggested=6.0,
        kappa_current=None,
        kappa_suggested=None,
        balanced_accuracy=None,
        spearman=None,
        interval=None,
    )


def test_calibrate_keeps_current_when_humans_use_a_single_verdict_and_scores_are_equal():
    result = calibrate([(7, True, 8), (7, True, 9)], current=6.0, bootstrap=20)
    assert result.suggested == 6.0
    assert result.kappa_suggested is None
    assert result.balanced_accuracy is None
    assert result.spearman is None
    assert result.interval == (6.0, 6.0)


def test_calibrate_without_bootstrap_has_no_interval():
    assert calibrate(SEPARABLE, current=5.0, bootstrap=0).interval is None


def test_calibrate_rejects_a_negative_bootstrap():
    with pytest.raises(ValueError, match="bootstrap"):
        calibrate(SEPARABLE, current=5.0, bootstrap=-1)


def test_calibrate_suggestion_is_best_among_all_candidates():
    result = calibrate(NOISY, current=6.0, bootstrap=0)
    for t in {auto for auto, _, _ in NOISY}:
        predicted = [auto >= t for auto, _, _ in NOISY]
        kappa = cohen_kappa(predicted, [label for _, label, _ in NOISY])
        assert kappa is None or kappa <= result.kappa_suggested

"""Agreement statistics for calibrating each pipeline step's automatic quality threshold.

Human evaluators score a step's outputs; these pure functions measure how far the evaluators
agree with one another and with the automatic score, and suggest the threshold that best
reproduces the humans' accept/reject verdicts. Plain Python, no numpy/scipy.
"""

import math
import random
from bisect import bisect_left
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass


def _check_same_length(a: Sequence[object], b: Sequence[object]) -> None:
    if len(a) != len(b):
        raise ValueError(f"sequences differ in length: {len(a)} != {len(b)}")


def _kappa_from_counts(n: int, agree: int, a_yes: int, b_yes: int) -> float | None:
    """Cohen's kappa of a 2x2 table given by its total, its diagonal and its two margins.

    With p_o = agree / n and p_e = (a_yes * b_yes + a_no * b_no) / n², kappa is
    (p_o - p_e) / (1 - p_e) = (n * agree - E) / (n² - E) with E = a_yes * b_yes + a_no * b_no.
    Integer arithmetic up to the single final division, so equal kappas are equal floats.
    """
    if n == 0:
        return None
    expected = a_yes * b_yes + (n - a_yes) * (n - b_yes)
    denominator = n * n - expected
    if denominator == 0:
        return None
    return (n * agree - expected) / denominator


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float | None:
    """Cohen's kappa between two raters' binary verdicts on the same items.

    kappa = (p_o - p_e) / (1 - p_e), where p_o is the fraction of items on which the raters
    agree and p_e = p_a(yes) * p_b(yes) + p_a(no) * p_b(no) the agreement expected by chance
    from each rater's own marginal rates. 1 is perfect agreement, 0 chance-level, < 0 worse
    than chance.

    Returns None when kappa is undefined: no items, or p_e = 1, which happens exactly when
    both raters give every item the same single verdict (all yes, or all no); agreement is
    then total but carries no information. Raises ValueError when the lengths differ.
    """
    _check_same_length(a, b)
    agree = sum(1 for x, y in zip(a, b, strict=True) if bool(x) == bool(y))
    return _kappa_from_counts(len(a), agree, sum(map(bool, a)), sum(map(bool, b)))


def balanced_accuracy(predicted: Sequence[bool], actual: Sequence[bool]) -> float | None:
    """Mean of sensitivity and specificity: (TP / (TP + FN) + TN / (TN + FP)) / 2.

    Unlike plain accuracy it is not inflated when one class dominates: always predicting the
    majority class scores 0.5. Returns None when `actual` has no positives or no negatives
    (one of the two rates is then undefined), including when there are no items. Raises
    ValueError when the lengths differ.
    """
    _check_same_length(predicted, actual)
    positives = sum(1 for y in actual if y)
    negatives = len(actual) - positives
    if positives == 0 or negatives == 0:
        return None
    true_pos = sum(1 for p, y in zip(predicted, actual, strict=True) if p and y)
    true_neg = sum(1 for p, y in zip(predicted, actual, strict=True) if not p and not y)
    return (true_pos / positives + true_neg / negatives) / 2


def _average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; tied values all get the mean of the ranks they occupy."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        rank = (start + end) / 2 + 1
        for position in range(start, end + 1):
            ranks[order[position]] = rank
        start = end + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation: Pearson's correlation of the two series' ranks.

    Ties get average ranks (so this is the tie-corrected rho, not 1 - 6Σd²/(n(n²-1)), which
    is exact only without ties): rho = Σ(rx - r̄x)(ry - r̄y) / sqrt(Σ(rx - r̄x)² Σ(ry - r̄y)²).
    Returns None with fewer than 2 items or when either series is constant (its rank variance
    is 0). Raises ValueError when the lengths differ.
    """
    _check_same_length(x, y)
    if len(x) < 2 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    rx, ry = _average_ranks(x), _average_ranks(y)
    mean = (len(x) + 1) / 2  # the mean of the ranks 1..n, ties or not
    covariance = sum((p - mean) * (q - mean) for p, q in zip(rx, ry, strict=True))
    spread_x = sum((p - mean) ** 2 for p in rx)
    spread_y = sum((q - mean) ** 2 for q in ry)
    return covariance / math.sqrt(spread_x * spread_y)


def _sum_squared_deviations(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values)


def krippendorff_alpha_interval(
    units: Mapping[Hashable, Mapping[Hashable, float]],
) -> float | None:
    """Krippendorff's alpha with the interval metric δ(c, k) = (c - k)².

    `units` maps each item to {rater: value}; a rater who did not score an item is simply
    absent. Units with fewer than 2 values are not pairable and are ignored. With m_u the
    number of values in pairable unit u and n = Σ m_u the number of pairable values:

        D_o = (1 / n) Σ_u (1 / (m_u - 1)) Σ_{i≠j in u} (v_i - v_j)²   observed disagreement
        D_e = (1 / (n (n - 1))) Σ_{c≠k} (v_c - v_k)²                 expected, over all n values
        alpha = 1 - D_o / D_e

    Computed through Σ_{i≠j} (v_i - v_j)² = 2 m Σ (v - mean)², which avoids cancellation.
    1 is perfect agreement, 0 chance-level. Returns None when no unit is pairable or when
    every pairable value is the same (D_e = 0: no disagreement is possible).
    """
    pairable = [list(ratings.values()) for ratings in units.values() if len(ratings) >= 2]
    values = [v for unit in pairable for v in unit]
    if len(set(values)) < 2:
        return None
    n = len(values)
    observed = sum(len(u) * _sum_squared_deviations(u) / (len(u) - 1) for u in pairable)
    return 1 - (n - 1) * observed / (n * _sum_squared_deviations(values))


def evaluator_deviation(
    units: Mapping[Hashable, Mapping[Hashable, float]],
) -> dict[Hashable, float]:
    """Each rater's mean absolute deviation from the mean of the other raters.

    For rater r, over every item r scored together with at least one other rater:
    mean(|v_r - mean(values of the other raters on that item)|). A high value flags an
    evaluator who systematically disagrees with the rest. Raters who share no item with
    another rater are left out of the result; keys keep the order of first appearance.
    """
    deviations: dict[Hashable, list[float]] = {}
    for ratings in units.values():
        if len(ratings) < 2:
            continue
        total = sum(ratings.values())
        others = len(ratings) - 1
        for rater, value in ratings.items():
            deviations.setdefault(rater, []).append(abs(value - (total - value) / others))
    return {rater: sum(devs) / len(devs) for rater, devs in deviations.items()}


@dataclass
class Calibration:
    """A suggested threshold for one step and how well it reproduces the human verdicts."""

    n: int
    current: float
    suggested: float
    kappa_current: float | None
    kappa_suggested: float | None
    balanced_accuracy: float | None  # at the suggested threshold
    spearman: float | None  # auto score vs human overall
    interval: tuple[float, float] | None  # bootstrap 90% interval of the suggested threshold


class _Sweep:
    """Cohen's kappa of `auto >= t` against the human labels, for any t, in O(log n)."""

    def __init__(self, samples: Sequence[tuple[float, bool, float]]) -> None:
        ordered = sorted((auto, bool(label)) for auto, label, _ in samples)
        self.autos = [auto for auto, _ in ordered]
        self.positives_below = [0]  # positives_below[i]: accepted among the i lowest scores
        for _, label in ordered:
            self.positives_below.append(self.positives_below[-1] + label)

    def kappa(self, threshold: float) -> float | None:
        n = len(self.autos)
        below = bisect_left(self.autos, threshold)  # predicted reject
        positives = self.positives_below[-1]
        true_pos = positives - self.positives_below[below]
        true_neg = below - self.positives_below[below]
        return _kappa_from_counts(n, true_pos + true_neg, n - below, positives)

    def best(self, current: float) -> float:
        """The candidate maximising kappa; ties go to the smallest |t - current|, then lower t.

        Candidates are the distinct observed scores plus `current`; an undefined kappa ranks
        below every defined one.
        """

        def rank(t: float) -> tuple[float, float, float]:
            k = self.kappa(t)
            return (-math.inf if k is None else -k, abs(t - current), t)

        return min({*self.autos, current}, key=rank)


def _nearest_rank(ordered: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of an ascending sequence: the ⌈p/100 · N⌉-th value (min 1st)."""
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


def calibrate(
    samples: Sequence[tuple[float, bool, float]],
    *,
    current: float,
    bootstrap: int = 500,
    seed: int = 0,
) -> Calibration:
    """Suggest the auto-score threshold that best reproduces the human accept/reject labels.

    `samples` are (auto score 0-10, human accept, human overall 1-10). Every candidate t (the
    distinct observed auto scores plus `current`) predicts accept when auto >= t; the suggested
    t maximises Cohen's kappa between that prediction and the human label, ties going to the
    smallest |t - current|, then to the lower t. When every kappa is undefined (e.g. every
    candidate predicts the single class the humans used) the current threshold stays.

    `interval` is the bootstrap 90% interval of the suggested threshold: `bootstrap` resamples
    of the samples with replacement drawn with random.Random(seed) (deterministic for a seed),
    the best t recomputed on each, and the 5th and 95th nearest-rank percentiles reported.
    None when there are no samples or `bootstrap` is 0. `balanced_accuracy` is taken at the
    suggested threshold; `spearman` relates the auto score to the human overall score.
    Raises ValueError when `bootstrap` is negative.
    """
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be >= 0, got {bootstrap}")
    sweep = _Sweep(samples)
    suggested = sweep.best(current)
    interval = None
    if samples and bootstrap:
        rng = random.Random(seed)
        thresholds = sorted(
            _Sweep(rng.choices(samples, k=len(samples))).best(current) for _ in range(bootstrap)
        )
        interval = (_nearest_rank(thresholds, 5), _nearest_rank(thresholds, 95))
    autos = [auto for auto, _, _ in samples]
    labels = [bool(label) for _, label, _ in samples]
    return Calibration(
        n=len(samples),
        current=current,
        suggested=suggested,
        kappa_current=sweep.kappa(current),
        kappa_suggested=sweep.kappa(suggested),
        balanced_accuracy=balanced_accuracy([auto >= suggested for auto in autos], labels),
        spearman=spearman(autos, [overall for _, _, overall in samples]),
        interval=interval,
    )

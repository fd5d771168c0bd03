"""Calibration of each step's automatic threshold against the human evaluations (DESIGN §3).

The services read a step's evaluated StepRuns, hand the numbers to the pure statistics of
`review.stats`, and write the new threshold together with its history row.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Prefetch

from generation.engine import step_policy
from generation.errors import InvalidInput
from generation.models import Step, StepPolicy, StepRun
from review.models import Evaluation, Score, ThresholdChange, Verdict
from review.stats import calibrate, evaluator_deviation, krippendorff_alpha_interval

logger = logging.getLogger("nanodeck.review")

THRESHOLD_MIN = 0.0
THRESHOLD_MAX = 10.0


def _check_step(step: str) -> None:
    if step not in Step.values:
        raise InvalidInput(
            f"unknown step {step!r}; expected one of {', '.join(Step.values)}",
            details={"step": step},
        )


def _human_label(evaluations: list[Evaluation], pass_mark: float) -> bool:
    """Accepted when most verdicts say accept, rejected when most do not; on a tie, when the
    mean overall reaches the policy's human pass mark."""
    accepts = sum(1 for evaluation in evaluations if evaluation.verdict == Verdict.ACCEPT)
    others = len(evaluations) - accepts
    if accepts != others:
        return accepts > others
    return _mean_overall(evaluations) >= pass_mark


def _mean_overall(evaluations: Iterable[Evaluation]) -> float:
    overalls = [evaluation.overall for evaluation in evaluations]
    return sum(overalls) / len(overalls)


def _evaluated_runs(step: str, *, min_evaluations: int) -> list[StepRun]:
    return list(
        StepRun.objects.filter(step=step)
        .annotate(evaluation_count=Count("evaluations"))
        .filter(evaluation_count__gte=min_evaluations)
        .prefetch_related(
            Prefetch(
                "evaluations",
                queryset=Evaluation.objects.select_related("evaluator").prefetch_related(
                    Prefetch("scores", queryset=Score.objects.select_related("criterion"))
                ),
            )
        )
        .order_by("id")
    )


def calibration_report(*, step: str, min_samples: int | None = None) -> dict:
    """How well the step's threshold reproduces the human verdicts, and the threshold that
    would do best. Samples are the evaluated StepRuns that have an auto score;
    `min_samples` defaults to CALIBRATION_MIN_SAMPLES."""
    _check_step(step)
    if min_samples is None:
        min_samples = settings.NANODECK["CALIBRATION_MIN_SAMPLES"]
    policy = step_policy(step)
    samples = [
        (
            run.score,
            _human_label(list(run.evaluations.all()), policy.human_pass_mark),
            _mean_overall(run.evaluations.all()),
        )
        for run in _evaluated_runs(step, min_evaluations=1)
        if run.score is not None
    ]
    result = asdict(calibrate(samples, current=policy.threshold))
    interval = result.pop("interval")
    return {
        "step": step,
        "enough": len(samples) >= min_samples,
        "min_samples": min_samples,
        **result,
        "interval": list(interval) if interval is not None else None,
    }


@transaction.atomic
def threshold_apply(
    *,
    step: str,
    new: float,
    author: AbstractBaseUser | None = None,
    reason: str = "manual",
    statistics: dict | None = None,
) -> ThresholdChange:
    """Set the step's threshold and record the change; the engine reads it at its next round."""
    _check_step(step)
    if not THRESHOLD_MIN <= new <= THRESHOLD_MAX:
        raise InvalidInput(
            f"threshold must be between {THRESHOLD_MIN:g} and {THRESHOLD_MAX:g}, got {new!r}",
            details={"new": new},
        )
    policy = StepPolicy.objects.select_for_update().get(pk=step_policy(step).pk)
    old = policy.threshold
    policy.threshold = new
    policy.save(update_fields=["threshold", "updated_at"])
    return ThresholdChange.objects.create(
        step=step,
        old=old,
        new=new,
        reason=reason,
        statistics=statistics or {},
        author=author,
    )


@transaction.atomic
def calibrate_step(
    *,
    step: str,
    min_samples: int | None = None,
    min_gain: float | None = None,
    author: AbstractBaseUser | None = None,
) -> ThresholdChange | None:
    """Apply the suggested threshold when there are enough samples and it raises Cohen's
    kappa by at least `min_gain` (CALIBRATION_MIN_SAMPLES / CALIBRATION_MIN_GAIN by default);
    otherwise change nothing and return None. `author` is the person who asked (None for the
    schedule)."""
    if min_gain is None:
        min_gain = settings.NANODECK["CALIBRATION_MIN_GAIN"]
    report = calibration_report(step=step, min_samples=min_samples)
    if not report["enough"]:
        return None
    if report["kappa_current"] is None or report["kappa_suggested"] is None:
        return None
    if report["kappa_suggested"] - report["kappa_current"] < min_gain:
        return None
    return threshold_apply(
        step=step, new=report["suggested"], reason="calibration", statistics=report, author=author
    )


def unchanged_reason(report: dict) -> str:
    """Why calibration left the threshold alone, in words, from a calibration report."""
    if not report["enough"]:
        return f"not enough samples ({report['n']} of {report['min_samples']} needed)"
    kappa_current, kappa_suggested = report["kappa_current"], report["kappa_suggested"]
    if kappa_current is None or kappa_suggested is None:
        return "kappa is undefined (every output got the same verdict)"
    if report["suggested"] == report["current"]:
        return f"{report['current']:g} is already the best threshold (kappa {kappa_current:.2f})"
    return (
        f"the gain in kappa is below {settings.NANODECK['CALIBRATION_MIN_GAIN']:g} "
        f"({kappa_current:.2f} → {kappa_suggested:.2f} at {report['suggested']:g}, "
        f"n={report['n']})"
    )


def calibrate_scheduled() -> list[ThresholdChange]:
    """The hourly schedule: calibrate every step whose policy says auto_calibrate."""
    changes = []
    for step in StepPolicy.objects.filter(auto_calibrate=True).values_list("step", flat=True):
        change = calibrate_step(step=step)
        if change is not None:
            logger.info(
                "threshold_calibrated step=%s old=%s new=%s n=%s",
                step,
                change.old,
                change.new,
                change.statistics.get("n"),
            )
            changes.append(change)
    return changes


def agreement_report(*, step: str) -> dict:
    """Inter-evaluator agreement on the step's StepRuns with at least two evaluations:
    Krippendorff's alpha (interval) per criterion and on the overall score, and each
    evaluator's mean absolute deviation from the others on the overall score."""
    _check_step(step)
    runs = _evaluated_runs(step, min_evaluations=2)
    overall_units: dict[int, dict[str, float]] = {}
    criterion_units: dict[str, dict[int, dict[str, float]]] = defaultdict(dict)
    for run in runs:
        overall_units[run.pk] = {}
        for evaluation in run.evaluations.all():
            username = evaluation.evaluator.get_username()
            overall_units[run.pk][username] = evaluation.overall
            for score in evaluation.scores.all():
                criterion_units[score.criterion.key].setdefault(run.pk, {})[username] = score.value
    return {
        "step": step,
        "n": len(runs),
        "criteria": {
            key: krippendorff_alpha_interval(units) for key, units in criterion_units.items()
        },
        "overall": krippendorff_alpha_interval(overall_units),
        "deviation": evaluator_deviation(overall_units),
    }

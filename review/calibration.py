"""Calibration of each step's automatic threshold against the human evaluations (DESIGN §3).

The services read a step's evaluated StepRuns, hand the numbers to the pure statistics of
`review.stats`, and write the new threshold together with its history row.
"""

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from itertools import groupby
from operator import itemgetter
from statistics import fmean

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, QuerySet

from generation.errors import InvalidInput
from generation.models import Step, StepPolicy
from generation.pipeline.engine import step_policy
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


def _visible(evaluations: QuerySet, hidden_runs: QuerySet | None) -> QuerySet:
    return evaluations if hidden_runs is None else evaluations.exclude(step_run_id__in=hidden_runs)


@dataclass(frozen=True)
class Judged:
    """One evaluated StepRun as calibration sees it."""

    step_run: int
    auto: float | None
    human: float  # the mean overall of its evaluations
    accepted: bool
    overalls: tuple[float, ...]


def _human_label(verdicts: list[str], overalls: tuple[float, ...], pass_mark: float) -> bool:
    """Accepted when most verdicts say accept, rejected when most do not; on a tie, when the
    mean overall reaches the policy's human pass mark."""
    accepts = sum(1 for verdict in verdicts if verdict == Verdict.ACCEPT)
    others = len(verdicts) - accepts
    if accepts != others:
        return accepts > others
    return fmean(overalls) >= pass_mark


def judged_runs(
    *, step: str, pass_mark: float, hidden_runs: QuerySet | None = None
) -> list[Judged]:
    """Every evaluated StepRun of the step (but `hidden_runs`, a query of StepRun ids) with its
    auto score, mean human overall and human label, from one query over the evaluations."""
    rows = (
        _visible(Evaluation.objects.filter(step_run__step=step), hidden_runs)
        .order_by("step_run_id", "id")
        .values_list("step_run_id", "step_run__score", "verdict", "overall")
    )
    judged = []
    for run_id, group in groupby(rows, key=itemgetter(0)):
        evaluations = list(group)
        verdicts = [verdict for _, _, verdict, _ in evaluations]
        overalls = tuple(overall for _, _, _, overall in evaluations)
        judged.append(
            Judged(
                step_run=run_id,
                auto=evaluations[0][1],
                human=fmean(overalls),
                accepted=_human_label(verdicts, overalls, pass_mark),
                overalls=overalls,
            )
        )
    return judged


def calibration_report(
    *, step: str, min_samples: int | None = None, hidden_runs: QuerySet | None = None
) -> dict:
    """How well the step's threshold reproduces the human verdicts, and the threshold that
    would do best. Samples are the evaluated StepRuns that have an auto score (but
    `hidden_runs`); `min_samples` defaults to CALIBRATION_MIN_SAMPLES."""
    _check_step(step)
    if min_samples is None:
        min_samples = settings.NANODECK["CALIBRATION_MIN_SAMPLES"]
    policy = step_policy(step)
    samples = [
        (run.auto, run.accepted, run.human)
        for run in judged_runs(step=step, pass_mark=policy.human_pass_mark, hidden_runs=hidden_runs)
        if run.auto is not None
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
def calibration_outcome(
    *,
    step: str,
    min_samples: int | None = None,
    min_gain: float | None = None,
    author: AbstractBaseUser | None = None,
) -> tuple[ThresholdChange | None, dict]:
    """Apply the suggested threshold when there are enough samples and it raises Cohen's
    kappa by at least `min_gain` (CALIBRATION_MIN_SAMPLES / CALIBRATION_MIN_GAIN by default).
    Returns the change (None when nothing changed) and the report it was decided on, so a
    caller can say why without computing it again. `author` is the person who asked (None
    for the schedule)."""
    if min_gain is None:
        min_gain = settings.NANODECK["CALIBRATION_MIN_GAIN"]
    report = calibration_report(step=step, min_samples=min_samples)
    current, suggested = report["kappa_current"], report["kappa_suggested"]
    if not report["enough"] or current is None or suggested is None:
        return None, report
    if suggested - current < min_gain:
        return None, report
    change = threshold_apply(
        step=step, new=report["suggested"], reason="calibration", statistics=report, author=author
    )
    return change, report


def calibrate_step(
    *,
    step: str,
    min_samples: int | None = None,
    min_gain: float | None = None,
    author: AbstractBaseUser | None = None,
) -> ThresholdChange | None:
    """calibration_outcome without the report: the change, or None."""
    change, _ = calibration_outcome(
        step=step, min_samples=min_samples, min_gain=min_gain, author=author
    )
    return change


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


def agreement_report(*, step: str, hidden_runs: QuerySet | None = None) -> dict:
    """Inter-evaluator agreement on the step's StepRuns with at least two evaluations (but
    `hidden_runs`): Krippendorff's alpha (interval) per criterion and on the overall score,
    and each evaluator's mean absolute deviation from the others on the overall score."""
    _check_step(step)
    shared = (
        _visible(Evaluation.objects.filter(step_run__step=step), hidden_runs)
        .order_by()
        .values("step_run_id")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .values("step_run_id")
    )
    username = f"evaluator__{get_user_model().USERNAME_FIELD}"
    overall_units: dict[int, dict[str, float]] = defaultdict(dict)
    evaluations = Evaluation.objects.filter(step_run_id__in=shared).order_by("step_run_id", "id")
    for run_id, evaluator, overall in evaluations.values_list("step_run_id", username, "overall"):
        overall_units[run_id][evaluator] = overall
    criterion_units: dict[str, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    scores = Score.objects.filter(evaluation__step_run_id__in=shared).order_by(
        "evaluation__step_run_id", "evaluation_id", "criterion_id"
    )
    for run_id, evaluator, key, value in scores.values_list(
        "evaluation__step_run_id", f"evaluation__{username}", "criterion__key", "value"
    ):
        criterion_units[key][run_id][evaluator] = value
    return {
        "step": step,
        "n": len(overall_units),
        "criteria": {
            key: krippendorff_alpha_interval(units) for key, units in criterion_units.items()
        },
        "overall": krippendorff_alpha_interval(overall_units),
        "deviation": evaluator_deviation(overall_units),
    }

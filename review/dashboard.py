"""The data behind the review stats page, gathered in a fixed number of queries per step.

Statistics come from `review.calibration`; this module only collects what the page and its
plots show besides: one point per evaluated run, the overall scores, the threshold history and
each evaluator's pace.
"""

import statistics
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from generation.pipeline.engine import step_policy
from review.calibration import (
    _check_step,
    agreement_report,
    calibration_report,
    judged_runs,
)
from review.models import Assignment, Evaluation, ReviewItem, ThresholdChange

RECENT = timedelta(hours=24)


def runs_open_to(*, viewer: AbstractBaseUser) -> QuerySet:
    """The StepRun ids of review items the viewer may still judge: open, and neither evaluated
    nor skipped by them. Statistics shown to the viewer leave these out: others' scores on
    them would anchor (or give away) the viewer's own."""
    done = Assignment.objects.filter(evaluator=viewer, state__in=["submitted", "skipped"])
    return (
        ReviewItem.objects.filter(status="open")
        .exclude(pk__in=done.values("item_id"))
        .values("step_run_id")
    )


def step_dashboard(*, step: str, viewer: AbstractBaseUser | None = None) -> dict:
    """Everything the stats page shows for one step, to `viewer` (never the evaluations of
    runs they may still judge; None: every run). Raises InvalidInput for an unknown step.

    `points` has one entry per evaluated run with an auto score (the calibration's samples):
    auto score, mean human overall and the human label, decided as the calibration decides it.
    `overalls` holds every evaluation's overall score, `history` the threshold changes, oldest
    first, `throughput` the evaluators' pace on this step.
    """
    hidden = None if viewer is None else runs_open_to(viewer=viewer)
    calibration = calibration_report(step=step, hidden_runs=hidden)
    policy = step_policy(step)
    judged = judged_runs(step=step, pass_mark=policy.human_pass_mark, hidden_runs=hidden)
    points = [
        {"step_run": run.step_run, "auto": run.auto, "human": run.human, "accept": run.accepted}
        for run in judged
        if run.auto is not None
    ]
    overalls = [overall for run in judged for overall in run.overalls]
    return {
        "step": step,
        "threshold": policy.threshold,
        "human_pass_mark": policy.human_pass_mark,
        "calibration": calibration,
        "agreement": agreement_report(step=step, hidden_runs=hidden),
        "points": points,
        "overalls": overalls,
        "history": threshold_history(step=step),
        "throughput": throughput_report(step=step),
    }


def threshold_history(*, step: str) -> list[dict]:
    """The step's threshold changes, oldest first, with the statistics that justified them
    (n and kappa are None for a manual change)."""
    changes = (
        ThresholdChange.objects.filter(step=step)
        .select_related("author")
        .order_by("created_at", "id")
    )
    return [
        {
            "old": change.old,
            "new": change.new,
            "reason": change.reason,
            "author": change.author.get_username() if change.author else None,
            "created_at": change.created_at,
            "n": change.statistics.get("n"),
            "kappa_before": change.statistics.get("kappa_current"),
            "kappa_after": change.statistics.get("kappa_suggested"),
        }
        for change in changes
    ]


def throughput_report(*, step: str | None = None) -> list[dict]:
    """Each evaluator's pace, on one step or all: evaluations, items per hour of review time,
    median seconds per item and evaluations in the last 24 hours; busiest evaluator first.

    An evaluation with seconds_spent 0 has no time recorded: it counts as an evaluation but
    not in the pace, which is None for an evaluator with no recorded time at all.
    """
    evaluations = Evaluation.objects.order_by()
    if step is not None:
        _check_step(step)
        evaluations = evaluations.filter(step_run__step=step)
    username_field = f"evaluator__{get_user_model().USERNAME_FIELD}"
    per_evaluator: dict[int, dict] = {}
    since = timezone.now() - RECENT
    for evaluator_id, username, seconds, created_at in evaluations.values_list(
        "evaluator_id", username_field, "seconds_spent", "created_at"
    ):
        row = per_evaluator.setdefault(
            evaluator_id, {"username": username, "evaluations": 0, "last_24h": 0, "seconds": []}
        )
        row["evaluations"] += 1
        row["last_24h"] += created_at >= since
        if seconds > 0:
            row["seconds"].append(seconds)
    rows = [_pace(row) for row in per_evaluator.values()]
    return sorted(rows, key=lambda row: (-row["evaluations"], row["username"]))


def _pace(row: dict) -> dict:
    seconds = row.pop("seconds")
    row["items_per_hour"] = 3600 * len(seconds) / sum(seconds) if seconds else None
    row["median_seconds"] = statistics.median(seconds) if seconds else None
    return row

"""The stats page's data (points, overalls, history, throughput) and its SVG plots."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from generation.errors import InvalidInput
from generation.models import Batch, StepPolicy, StepRun
from review import plots
from review.calibration import calibrate_step, threshold_apply
from review.dashboard import step_dashboard, threshold_history, throughput_report
from review.models import Criterion, Evaluation, Score
from tests.factories import UserFactory, make_batch

SVG_TEXT = "{http://www.w3.org/2000/svg}text"


@pytest.fixture
def batch() -> Batch:
    return make_batch()


def run(batch: Batch, attempt: int, score: float | None, *, step: str = "render") -> StepRun:
    return StepRun.objects.create(
        batch=batch, step=step, attempt=attempt, threshold=7, score=score, started_at=timezone.now()
    )


def evaluate(step_run: StepRun, evaluator, overall: float, **fields) -> Evaluation:
    verdict = fields.pop("verdict", "accept" if overall >= 7 else "reject")
    return Evaluation.objects.create(
        step_run=step_run, evaluator=evaluator, overall=overall, verdict=verdict, **fields
    )


def texts(svg: str) -> list[str]:
    """The text of every <text> element, so the SVG must parse."""
    return ["".join(element.itertext()) for element in ET.fromstring(svg).iter(SVG_TEXT)]


# The data


@pytest.mark.django_db
def test_each_evaluated_run_is_a_point_labelled_as_the_calibration_labels_it(batch):
    StepPolicy.objects.filter(step="render").update(threshold=7, human_pass_mark=6)
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    accepted, rejected, tie = run(batch, 1, 8.5), run(batch, 2, 3.0), run(batch, 3, 6.0)
    evaluate(accepted, alice, 9)
    evaluate(rejected, alice, 2)
    evaluate(rejected, bob, 4)
    evaluate(tie, alice, 7, verdict="accept")  # one accept, one reject: mean 6 >= pass mark 6
    evaluate(tie, bob, 5, verdict="reject")
    evaluate(run(batch, 4, None), alice, 8)  # no auto score: an overall but not a point
    run(batch, 5, 9.0)  # never evaluated

    dashboard = step_dashboard(step="render")

    assert dashboard["points"] == [
        {"step_run": accepted.pk, "auto": 8.5, "human": 9.0, "accept": True},
        {"step_run": rejected.pk, "auto": 3.0, "human": 3.0, "accept": False},
        {"step_run": tie.pk, "auto": 6.0, "human": 6.0, "accept": True},
    ]
    assert sorted(dashboard["overalls"]) == [2, 4, 5, 7, 8, 9]
    assert (dashboard["threshold"], dashboard["human_pass_mark"]) == (7, 6)
    assert dashboard["calibration"]["n"] == 3
    assert dashboard["agreement"]["n"] == 2
    assert [row["username"] for row in dashboard["throughput"]] == ["alice", "bob"]


@pytest.mark.django_db
def test_the_history_lists_changes_oldest_first_with_their_statistics(batch):
    StepPolicy.objects.filter(step="render").update(threshold=8)
    author = UserFactory(username="lead")
    threshold_apply(step="render", new=7.5, author=author)
    judge = UserFactory()
    for attempt, auto in enumerate([i * 0.25 for i in range(40)], start=1):
        evaluate(run(batch, attempt, auto), judge, 8 if auto >= 6.5 else 3)
    calibrate_step(step="render")

    manual, calibration = threshold_history(step="render")

    assert (manual["old"], manual["new"], manual["reason"], manual["author"]) == (
        8,
        7.5,
        "manual",
        "lead",
    )
    assert (manual["n"], manual["kappa_before"], manual["kappa_after"]) == (None, None, None)
    assert (calibration["old"], calibration["new"], calibration["reason"]) == (
        7.5,
        6.5,
        "calibration",
    )
    assert calibration["author"] is None
    assert (calibration["n"], calibration["kappa_after"]) == (40, 1.0)
    assert calibration["kappa_before"] < 1.0
    assert step_dashboard(step="render")["history"] == [manual, calibration]


@pytest.mark.django_db
def test_throughput_counts_items_per_hour_and_the_median_from_recorded_time(batch):
    alice, bob, wang = (UserFactory(username=name) for name in ("alice", "bob", "王小明"))
    runs = [run(batch, attempt, 5.0) for attempt in range(1, 4)]
    old = evaluate(runs[0], alice, 6, seconds_spent=60)
    evaluate(runs[1], alice, 6, seconds_spent=120)
    evaluate(runs[2], alice, 6, seconds_spent=90)
    evaluate(runs[0], bob, 6, seconds_spent=30)
    evaluate(runs[1], bob, 6, seconds_spent=0)  # no time recorded
    evaluate(runs[0], wang, 6)
    Evaluation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    evaluate(run(batch, 1, 5.0, step="describe"), bob, 6, seconds_spent=10)

    rows = throughput_report(step="render")

    assert rows == [
        {
            "username": "alice",
            "evaluations": 3,
            "last_24h": 2,
            "items_per_hour": 40.0,  # 3600 * 3 / 270
            "median_seconds": 90,
        },
        {
            "username": "bob",
            "evaluations": 2,
            "last_24h": 2,
            "items_per_hour": 120.0,  # 3600 * 1 / 30: the untimed evaluation is left out
            "median_seconds": 30,
        },
        {
            "username": "王小明",
            "evaluations": 1,
            "last_24h": 1,
            "items_per_hour": None,
            "median_seconds": None,
        },
    ]
    every_step = {row["username"]: row for row in throughput_report()}
    assert every_step["bob"]["evaluations"] == 3
    assert every_step["bob"]["items_per_hour"] == 180.0  # 3600 * 2 / 40
    assert every_step["bob"]["median_seconds"] == 20


@pytest.mark.django_db
def test_an_unknown_step_is_refused():
    with pytest.raises(InvalidInput):
        step_dashboard(step="nope")
    with pytest.raises(InvalidInput):
        throughput_report(step="nope")


def build_evaluated_runs(batch: Batch, count: int, first_attempt: int) -> None:
    judges = [UserFactory(), UserFactory()]
    layout = Criterion.objects.get(step="render", key="layout", active=True)
    for attempt in range(first_attempt, first_attempt + count):
        step_run = run(batch, attempt, attempt % 10)
        for offset, judge in enumerate(judges):
            evaluation = evaluate(step_run, judge, 1 + (attempt + offset) % 10, seconds_spent=30)
            Score.objects.create(evaluation=evaluation, criterion=layout, value=5 + offset)
    threshold_apply(step="render", new=first_attempt % 10, author=judges[0])


def count_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        step_dashboard(step="render")
    return len(queries)


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_runs(batch):
    build_evaluated_runs(batch, 5, first_attempt=1)
    few = count_queries()
    build_evaluated_runs(batch, 35, first_attempt=6)

    assert count_queries() == few
    assert few <= 12


# The plots


def test_the_scatter_marks_verdicts_and_both_thresholds():
    points = [
        {"auto": 8.0, "human": 9.0, "accept": True},
        {"auto": 7.5, "human": 7.0, "accept": True},
        {"auto": 3.0, "human": 2.0, "accept": False},
    ]

    svg = plots.auto_vs_human_svg(points, threshold=7, suggested=6.5)

    assert svg.startswith("<svg")
    labels = texts(svg)
    assert "Auto score vs human overall" in labels
    assert {"human accept (2)", "human reject (1)", "threshold 7", "suggested 6.5"} <= set(labels)
    assert "stroke-dasharray" in svg  # the suggested threshold is dashed


def test_the_histogram_counts_overalls_against_the_pass_mark():
    svg = plots.overall_histogram_svg([7, 8, 8, 3.5], pass_mark=7)

    assert {"Human overall scores (n=4)", "pass mark 7", "1", "10"} <= set(texts(svg))


def test_the_history_marks_manual_and_calibration_changes():
    start = datetime(2025, 3, 1, tzinfo=UTC)
    history = [
        {"created_at": start, "old": 7, "new": 7.5, "reason": "manual"},
        {"created_at": start + timedelta(days=3), "old": 7.5, "new": 6.5, "reason": "calibration"},
    ]

    svg = plots.threshold_history_svg(history, current=6.5, now=start + timedelta(days=5))

    assert {"Threshold history (now 6.5)", "manual (1)", "calibration (1)"} <= set(texts(svg))


def test_agreement_bars_show_alpha_and_n_a():
    svg = plots.agreement_svg(criteria={"layout": 0.8, "relevance": None}, overall=-0.25)

    assert {"layout", "relevance", "overall", "0.80", "n/a", "-0.25"} <= set(texts(svg))


def test_throughput_names_evaluators_in_their_own_script():
    rows = [
        {"username": "alice", "items_per_hour": 40.0, "median_seconds": 90},
        {"username": "王小明", "items_per_hour": None, "median_seconds": None},
    ]

    labels = texts(plots.throughput_svg(rows))

    assert {"alice", "王小明", "40.0", "90", "n/a", "items per hour"} <= set(labels)


@pytest.mark.parametrize(
    ("draw", "sentence"),
    [
        (lambda: plots.auto_vs_human_svg([], threshold=7, suggested=7), "No evaluations yet"),
        (lambda: plots.overall_histogram_svg([], pass_mark=7), "No evaluations yet"),
        (
            lambda: plots.threshold_history_svg([], current=7),
            "No threshold changes yet (current threshold 7)",
        ),
        (lambda: plots.agreement_svg(criteria={}, overall=None), "No item has two evaluations yet"),
        (lambda: plots.throughput_svg([]), "No evaluations yet"),
    ],
)
def test_every_plot_draws_an_empty_state(draw, sentence):
    svg = draw()

    assert svg.startswith("<svg")
    assert sentence in texts(svg)

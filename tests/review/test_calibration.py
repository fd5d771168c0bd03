"""Thresholds follow the human verdicts; agreement and exports are computed from evaluations."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from generation.errors import InvalidInput
from generation.models import Batch, Page, StepPolicy, StepRun
from review.calibration import (
    agreement_report,
    calibrate_step,
    calibration_report,
    threshold_apply,
)
from review.models import Criterion, Evaluation, Score, ThresholdChange
from tests.factories import CALIBRATION_AUTOS, UserFactory, make_batch, make_judged_runs

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch() -> Batch:
    return make_batch()


def set_threshold(value: float) -> None:
    StepPolicy.objects.filter(step="render").update(threshold=value)


def run(batch: Batch, attempt: int, score: float, *, page: Page | None = None) -> StepRun:
    return StepRun.objects.create(
        batch=batch,
        page=page,
        step="render",
        attempt=attempt,
        threshold=7,
        score=score,
        started_at=timezone.now(),
    )


def evaluate(step_run: StepRun, evaluator, overall: float, **fields) -> Evaluation:
    verdict = fields.pop("verdict", "accept" if overall >= 7 else "reject")
    return Evaluation.objects.create(
        step_run=step_run, evaluator=evaluator, overall=overall, verdict=verdict, **fields
    )


def test_the_report_suggests_the_threshold_people_agree_with(batch):
    set_threshold(8)
    make_judged_runs(CALIBRATION_AUTOS, batch=batch)
    run(batch, len(CALIBRATION_AUTOS) + 1, 9.0)  # never evaluated: not a sample

    report = calibration_report(step="render")

    assert report["step"] == "render"
    assert (report["n"], report["enough"]) == (40, True)
    assert (report["current"], report["suggested"]) == (8, 6.5)
    assert report["kappa_suggested"] == 1.0
    assert report["kappa_current"] < 1.0
    assert report["balanced_accuracy"] == 1.0
    assert report["spearman"] > 0.8
    low, high = report["interval"]
    assert low <= 6.5 <= high
    assert json.loads(json.dumps(report)) == report


def test_a_tie_of_verdicts_is_settled_by_the_human_pass_mark(batch):
    StepPolicy.objects.filter(step="render").update(threshold=3, human_pass_mark=7)
    first, second = UserFactory(), UserFactory()
    for attempt, auto in enumerate([2.0, 4.0, 6.0, 8.0], start=1):
        step_run = run(batch, attempt, auto)
        evaluate(step_run, first, 9 if auto >= 6 else 2, verdict="accept")
        evaluate(step_run, second, 9 if auto >= 6 else 2, verdict="reject")

    report = calibration_report(step="render")

    assert (report["suggested"], report["kappa_suggested"]) == (6.0, 1.0)


def test_with_few_samples_the_report_says_so_but_still_computes(batch):
    set_threshold(8)
    make_judged_runs([5.0, 6.0, 7.0, 8.0], batch=batch)

    report = calibration_report(step="render", min_samples=30)

    assert (report["n"], report["enough"]) == (4, False)
    assert (report["suggested"], report["kappa_suggested"]) == (7.0, 1.0)


def test_calibration_applies_the_suggestion_and_records_why(batch):
    set_threshold(8)
    make_judged_runs(CALIBRATION_AUTOS, batch=batch)

    change = calibrate_step(step="render")

    assert StepPolicy.objects.get(step="render").threshold == 6.5
    assert (change.step, change.old, change.new, change.reason) == ("render", 8, 6.5, "calibration")
    assert change.author is None
    assert change.statistics["kappa_suggested"] == 1.0
    assert change.statistics["n"] == 40
    assert ThresholdChange.objects.get() == change


def test_calibration_does_nothing_below_the_minimum_of_samples(batch):
    set_threshold(8)
    make_judged_runs(CALIBRATION_AUTOS[20:], batch=batch)

    assert calibrate_step(step="render", min_samples=30) is None
    assert StepPolicy.objects.get(step="render").threshold == 8
    assert not ThresholdChange.objects.exists()


def test_calibration_does_nothing_when_the_gain_is_too_small(batch):
    set_threshold(6.5)
    make_judged_runs(CALIBRATION_AUTOS, batch=batch)

    assert calibrate_step(step="render") is None
    assert not ThresholdChange.objects.exists()


def test_a_manual_change_is_written_with_its_author():
    set_threshold(7)
    author = UserFactory()

    change = threshold_apply(step="render", new=7.5, author=author, reason="manual")

    assert StepPolicy.objects.get(step="render").threshold == 7.5
    assert (change.old, change.new, change.author, change.reason) == (7, 7.5, author, "manual")
    assert change.statistics == {}


@pytest.mark.parametrize(("step", "new"), [("render", 11), ("render", -0.5), ("nope", 5)])
def test_a_threshold_outside_0_10_or_an_unknown_step_is_refused(step, new):
    set_threshold(7)

    with pytest.raises(InvalidInput):
        threshold_apply(step=step, new=new)

    assert StepPolicy.objects.get(step="render").threshold == 7
    assert not ThresholdChange.objects.exists()


def test_agreement_matches_a_hand_computation(batch):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    layout = Criterion.objects.get(step="render", key="layout", active=True)
    for attempt, (a, b) in enumerate([(8, 7), (6, 6), (3, 4)], start=1):
        step_run = run(batch, attempt, 5.0)
        for evaluator, overall in ((alice, a), (bob, b)):
            evaluation = evaluate(step_run, evaluator, overall)
            Score.objects.create(evaluation=evaluation, criterion=layout, value=a)
    evaluate(run(batch, 4, 5.0), alice, 9)  # a single evaluation: not pairable

    report = agreement_report(step="render")

    # Values 8 7 6 6 3 4: D_o = (2 + 0 + 2) / 6, D_e = 2·6·Σ(v - v̄)² / 30 = 104 / 15.
    assert report["n"] == 3
    assert report["overall"] == pytest.approx(47 / 52)
    assert report["criteria"] == {"layout": 1.0}
    assert report["deviation"] == pytest.approx({"alice": 2 / 3, "bob": 2 / 3})


@pytest.fixture
def evaluation(batch) -> Evaluation:
    page = Page.objects.create(batch=batch, index=3, kind="content", title="Tools")
    step_run = run(batch, 1, 6.25, page=page)
    StepRun.objects.filter(pk=step_run.pk).update(
        params={"seed": 7, "prompt": "远程办公"}, metrics={"ocr": 0.9}, input_digest="abc"
    )
    evaluation = evaluate(
        step_run, UserFactory(), 6.5, comment="文字清晰，但布局拥挤", seconds_spent=42
    )
    layout = Criterion.objects.get(step="render", key="layout", active=True)
    Score.objects.create(evaluation=evaluation, criterion=layout, value=6)
    return evaluation


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_evaluations", *args, stdout=out)
    return out.getvalue()


def test_the_csv_export_round_trips_chinese_and_json_fields(evaluation):
    rows = list(csv.DictReader(io.StringIO(export("--format", "csv"))))

    (row,) = rows
    assert row["comment"] == "文字清晰，但布局拥挤"
    assert (row["step"], row["step_run"], row["batch"]) == (
        "render",
        str(evaluation.step_run_id),
        str(evaluation.step_run.batch_id),
    )
    assert (row["page_index"], row["input_digest"], row["auto_score"]) == ("3", "abc", "6.25")
    assert json.loads(row["params"]) == {"seed": 7, "prompt": "远程办公"}
    assert json.loads(row["metrics"]) == {"ocr": 0.9}
    assert json.loads(row["scores"]) == {"layout": 6}
    assert (row["overall"], row["verdict"], row["seconds_spent"]) == ("6.5", "reject", "42")
    assert row["evaluator"] == str(evaluation.evaluator_id)


def test_the_jsonl_export_to_a_file_keeps_utf8(evaluation, tmp_path):
    path = tmp_path / "evaluations.jsonl"

    assert export("--format", "jsonl", "--step", "render", "--out", str(path)) == ""

    text = path.read_text(encoding="utf-8")
    assert "文字清晰" in text  # kept as is, not \u-escaped
    (row,) = [json.loads(line) for line in text.splitlines()]
    assert row["scores"] == {"layout": 6}
    assert row["params"] == {"seed": 7, "prompt": "远程办公"}
    assert row["created_at"] == evaluation.created_at.isoformat()


def test_the_export_filters_by_step(evaluation):
    assert export("--format", "jsonl", "--step", "describe") == ""


@pytest.mark.parametrize("args", [("--format", "xml"), ("--step", "nope")])
def test_the_export_refuses_a_bad_format_or_step(args):
    with pytest.raises(CommandError):
        export(*args)


def test_the_hourly_schedule_calibrates_only_steps_whose_policy_allows_it(batch, settings):
    from django_q.models import Schedule

    from review.tasks import calibrate_thresholds

    schedule = Schedule.objects.get(name="nanodeck threshold calibration")
    assert (schedule.func, schedule.schedule_type) == ("review.tasks.calibrate_thresholds", "H")
    set_threshold(8)
    make_judged_runs(CALIBRATION_AUTOS, batch=batch)

    assert calibrate_thresholds() == []  # auto_calibrate is off by default
    assert StepPolicy.objects.get(step="render").threshold == 8

    StepPolicy.objects.filter(step="render").update(auto_calibrate=True)
    assert calibrate_thresholds() == ["render: 8 → 6.5 (calibration)"]
    change = ThresholdChange.objects.get()
    assert (change.author, change.statistics["n"]) == (None, 40)

    settings.NANODECK = {**settings.NANODECK, "CALIBRATION_MIN_SAMPLES": 50}
    set_threshold(8)
    assert calibrate_thresholds() == []  # 40 samples are not enough any more


def test_admin_thresholds_page_shows_the_evidence_and_applies_calibration(batch, admin_client):
    set_threshold(8)
    make_judged_runs(CALIBRATION_AUTOS, batch=batch)
    policy = StepPolicy.objects.get(step="render")

    listing = admin_client.get("/admin/review/stepthreshold/").content.decode()
    assert "n=40, kappa" in listing
    assert "at 6.50" in listing

    response = admin_client.post(
        "/admin/review/stepthreshold/",
        {"action": "apply_calibration", "_selected_action": [policy.pk]},
        follow=True,
    )

    assert "render: 8 → 6.5 (calibration)" in response.content.decode()
    change = ThresholdChange.objects.get()
    assert change.author.is_superuser


def test_admin_manual_threshold_change_is_kept_in_the_history(batch, admin_client):
    set_threshold(8)
    policy = StepPolicy.objects.get(step="render")
    url = f"/admin/review/stepthreshold/{policy.pk}/change/"

    refused = admin_client.post(url, {"threshold": "11"})
    assert refused.status_code == 200  # the form again, with the error
    assert "less than or equal to 10" in refused.content.decode()
    assert StepPolicy.objects.get(step="render").threshold == 8

    assert admin_client.post(url, {"threshold": "7.25"}).status_code == 302

    assert StepPolicy.objects.get(step="render").threshold == 7.25
    change = ThresholdChange.objects.get()
    assert (change.old, change.new, change.reason) == (8, 7.25, "manual")
    assert change.author.is_superuser
    assert "n" in change.statistics


def test_admin_retires_a_used_criterion_into_an_editable_copy(admin_client, batch):
    step_run = run(batch, 1, 5.0)
    evaluation = evaluate(step_run, UserFactory(), 5)
    used = Criterion.objects.get(step="render", key="layout", active=True)
    Score.objects.create(evaluation=evaluation, criterion=used, value=5)

    form = admin_client.get(f"/admin/review/criterion/{used.pk}/change/").content.decode()
    assert 'name="description"' not in form  # read-only once used

    response = admin_client.post(
        "/admin/review/criterion/",
        {"action": "retire_and_copy", "_selected_action": [used.pk]},
        follow=True,
    )

    assert "new copy" in response.content.decode()
    copy = Criterion.objects.get(step="render", key="layout", active=True)
    assert copy.pk != used.pk
    edit = admin_client.get(f"/admin/review/criterion/{copy.pk}/change/").content.decode()
    assert 'name="description"' in edit

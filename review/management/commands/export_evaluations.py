"""Export every human evaluation, with the StepRun it judged, as CSV or JSON Lines."""

import csv
import json
from collections.abc import Iterator
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Prefetch, QuerySet

from generation.models import Step
from review.models import Evaluation, Score

FORMATS = ("csv", "jsonl")
COLUMNS = (
    "step",
    "step_run",
    "batch",
    "page_index",
    "input_digest",
    "params",
    "output",
    "auto_score",
    "metrics",
    "scores",
    "overall",
    "verdict",
    "instruction",
    "comment",
    "evaluator",
    "seconds_spent",
    "created_at",
)
JSON_COLUMNS = ("params", "metrics", "scores")


def _evaluations(step: str | None) -> QuerySet[Evaluation]:
    evaluations = Evaluation.objects.select_related("step_run__page").prefetch_related(
        Prefetch("scores", queryset=Score.objects.select_related("criterion"))
    )
    if step is not None:
        evaluations = evaluations.filter(step_run__step=step)
    return evaluations.order_by("created_at", "id")


def _row(evaluation: Evaluation) -> dict:
    run = evaluation.step_run
    return {
        "step": run.step,
        "step_run": run.pk,
        "batch": str(run.batch_id),
        "page_index": run.page.index if run.page_id else None,
        "input_digest": run.input_digest,
        "params": run.params,
        "output": run.output_image.name if run.output_image else run.output_text,
        "auto_score": run.score,
        "metrics": run.metrics,
        "scores": {score.criterion.key: score.value for score in evaluation.scores.all()},
        "overall": evaluation.overall,
        "verdict": evaluation.verdict,
        "instruction": evaluation.instruction,
        "comment": evaluation.comment,
        "evaluator": evaluation.evaluator_id,
        "seconds_spent": evaluation.seconds_spent,
        "created_at": evaluation.created_at.isoformat(),
    }


def _write_csv(rows: Iterator[dict], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        for column in JSON_COLUMNS:
            row[column] = json.dumps(row[column], ensure_ascii=False, sort_keys=True)
        writer.writerow(row)


def _write_jsonl(rows: Iterator[dict], out: TextIO) -> None:
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


class Command(BaseCommand):
    help = "Export human evaluations (one row each) as CSV or JSON Lines, UTF-8."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", default="csv", help=f"One of {', '.join(FORMATS)}.")
        parser.add_argument("--step", default=None, help="Only this step's evaluations.")
        parser.add_argument("--out", default=None, help="Output file; stdout when omitted.")

    def handle(self, *args: object, **options: object) -> None:
        fmt, step, out = options["format"], options["step"], options["out"]
        if fmt not in FORMATS:
            raise CommandError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        if step is not None and step not in Step.values:
            raise CommandError(f"unknown step {step!r}; expected one of {', '.join(Step.values)}")
        write = _write_csv if fmt == "csv" else _write_jsonl
        rows = (_row(evaluation) for evaluation in _evaluations(step).iterator(chunk_size=500))
        if out is None:
            self.stdout.ending = ""
            write(rows, self.stdout)
            return
        with open(out, "w", encoding="utf-8", newline="") as stream:
            write(rows, stream)

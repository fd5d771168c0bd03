"""Evaluations, with the StepRun each judged, as CSV or JSON Lines (UTF-8), for training and
audit: one row per evaluation. The export command and the admin action write through here."""

import csv
import json
from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet

from generation.errors import InvalidInput
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
    "output_url",
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


def evaluations_for_export(step: str | None = None) -> QuerySet[Evaluation]:
    """Every evaluation (of one step when given), oldest first."""
    if step is not None and step not in Step.values:
        raise InvalidInput(
            f"unknown step {step!r}; expected one of {', '.join(Step.values)}",
            details={"step": step},
        )
    evaluations = Evaluation.objects.all()
    if step is not None:
        evaluations = evaluations.filter(step_run__step=step)
    return evaluations


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
        "output_url": run.output_image.url if run.output_image else None,
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


class _Line:
    """A file-like sink for csv.writer that hands back what it was given."""

    def write(self, text: str) -> str:
        return text


def _csv_lines(rows: Iterator[dict]) -> Iterator[str]:
    writer = csv.DictWriter(_Line(), fieldnames=COLUMNS)
    yield writer.writeheader()
    for row in rows:
        for column in JSON_COLUMNS:
            row[column] = json.dumps(row[column], ensure_ascii=False, sort_keys=True)
        yield writer.writerow(row)


def _jsonl_lines(rows: Iterator[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def evaluations_export(evaluations: QuerySet[Evaluation], fmt: str) -> Iterator[str]:
    """The evaluations in `fmt` (csv | jsonl), line by line, read from the database in chunks.
    A bad format is refused at once, before anything is written."""
    if fmt not in FORMATS:
        raise InvalidInput(
            f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}",
            details={"format": fmt},
        )
    evaluations = (
        evaluations.select_related("step_run__page")
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("criterion")))
        .order_by("created_at", "id")
    )
    lines = _csv_lines if fmt == "csv" else _jsonl_lines
    return lines(_row(evaluation) for evaluation in evaluations.iterator(chunk_size=500))

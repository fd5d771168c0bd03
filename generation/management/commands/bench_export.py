"""Benchmark the exports: time and peak memory of building each format of a deck, as JSON.

Each export is measured in a fresh process (`--batch`), so that memory an earlier export
freed cannot hide what the next one needs: the peak resident memory (Linux VmHWM, reset
just before the export) minus the resident memory just before it.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from generation.bench import bench_outline
from generation.cluster import ROOT
from generation.exports import FORMATS, export_file
from generation.models import Batch, BatchStatus
from generation.services.batches import batch_create, batch_run
from templates_app.models import SlideTemplate
from templates_app.starter import load_starter_templates


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise CommandError(f"/proc/self/status has no {field}: this benchmark needs Linux")


def _reset_peak() -> None:
    """Reset VmHWM to the current resident size (Linux ≥ 4.0: `echo 5 > clear_refs`)."""
    Path("/proc/self/clear_refs").write_text("5")


def measure_export(batch: Batch, fmt: str) -> dict:
    _reset_peak()
    before = _status_mb("VmRSS")
    started = time.perf_counter()
    with export_file(batch, fmt) as deck:
        seconds = time.perf_counter() - started
        size = deck.seek(0, os.SEEK_END)
    peak = _status_mb("VmHWM")
    return {
        "seconds": round(seconds, 3),
        "output_mb": round(size / 2**20, 2),
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(peak, 1),
        "delta_mb": round(peak - before, 1),
    }


class Command(BaseCommand):
    help = "Time and peak memory of exporting a deck in each format; prints one line of JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pages", type=int, default=60, help="slides of the deck to build")
        parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated")
        parser.add_argument("--runs", type=int, default=3, help="fresh processes per format")
        parser.add_argument(
            "--batch", help="measure this batch's exports in this process (no deck is built)"
        )

    def handle(self, *args, **options) -> None:
        formats = [fmt.strip() for fmt in options["formats"].split(",") if fmt.strip()]
        unknown = sorted(set(formats) - set(FORMATS))
        if unknown or not formats:
            raise CommandError(f"--formats takes {', '.join(FORMATS)}")
        if options["batch"]:
            batch = Batch.objects.get(pk=options["batch"])
            figures = {fmt: measure_export(batch, fmt) for fmt in formats}
            self.stdout.write(json.dumps(figures))
            return
        if options["pages"] < 3 or options["runs"] < 1:
            raise CommandError("--pages must be ≥ 3 and --runs ≥ 1")
        batch = self._deck(options["pages"])
        result = {"pages": batch.completed_pages, "size": batch.opts.size, "formats": {}}
        for fmt in formats:
            runs = [self._fresh_process(batch, fmt) for _ in range(options["runs"])]
            result["formats"][fmt] = {
                key: statistics.median(run[key] for run in runs) for key in runs[0]
            }
        self.stdout.write(json.dumps(result))

    def _deck(self, pages: int) -> Batch:
        load_starter_templates()
        template = SlideTemplate.objects.get(slug="business")
        nanodeck = {**settings.NANODECK, "OCR_ENABLED": False}
        with override_settings(NANODECK=nanodeck):
            batch = batch_create(
                template=template, outline=bench_outline(pages, uuid.uuid4().hex[:12])
            )
            batch = batch_run(batch=batch)
        if batch.status != BatchStatus.COMPLETED:
            raise CommandError(f"the benchmark deck ended {batch.status}: {batch.error}")
        return batch

    def _fresh_process(self, batch: Batch, fmt: str) -> dict:
        command = [sys.executable, "manage.py", "bench_export", f"--batch={batch.pk}"]
        result = subprocess.run(
            [*command, f"--formats={fmt}"],
            cwd=ROOT,
            env=os.environ,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode:
            raise CommandError(f"measuring {fmt} failed: {result.stderr[-2000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])[fmt]

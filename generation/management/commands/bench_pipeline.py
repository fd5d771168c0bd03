"""Benchmark the orchestration: a real cluster, a benchmark-only provider that only waits,
and the figures as one line of JSON (wall time against the ideal, first page, queries, CPU,
memory).

Every run's page texts are new (a run token in each), so no render is ever served from the
result cache of an earlier run or of the warm-up: `cache_hits` must be 0."""

import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Min
from django.test.utils import CaptureQueriesContext, override_settings

from generation.cluster import ROOT, group_cpu_seconds, group_rss_mb, start_cluster, stop_cluster
from generation.models import Batch, BatchStatus, StepRun
from generation.services.batches import batch_create, batch_plan
from generation.tasks import run_page
from templates_app.models import SlideTemplate
from templates_app.starter import load_starter_templates

QUERY_SAMPLE_PAGES = 5


def bench_outline(pages: int, token: str) -> str:
    """An outline of exactly `pages` slides (a cover, pages - 2 content pages and the ending
    page) whose texts carry `token`, so that no two runs ask a provider for the same slide."""
    body = "\n".join(
        f"## Page {n} {token}\n- first point {n} {token}\n- second point {n}\n"
        for n in range(1, pages - 1)
    )
    return f"# Benchmark deck {token}\n\n{body}"


class Command(BaseCommand):
    help = "Run a batch through a real django-q2 cluster with a provider that only waits; print JSON figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pages", type=int, default=100)
        parser.add_argument("--concurrency", type=int, default=8, help="provider calls in flight")
        parser.add_argument("--latency", type=float, default=0.5, help="seconds per image call")
        parser.add_argument(
            "--workers", type=int, default=None, help="cluster workers (default: 1.5 x concurrency)"
        )
        parser.add_argument(
            "--no-ocr", action="store_true", help="switch the OCR check off for this run"
        )
        parser.add_argument("--timeout", type=float, default=600)

    def handle(self, *args, **options) -> None:
        pages, concurrency, latency = options["pages"], options["concurrency"], options["latency"]
        if pages < 3 or concurrency < 1 or latency < 0:
            raise CommandError("--pages must be ≥ 3, --concurrency ≥ 1, --latency ≥ 0")
        # More workers than slots: while some wait on the provider, others do the CPU work.
        workers = options["workers"] or math.ceil(1.5 * concurrency)
        load_starter_templates()
        env = {
            **os.environ,
            "BENCHMARK_PROVIDERS": "1",
            "LATENCY_PROVIDER_SECONDS": str(latency),
            "PROVIDER_CONCURRENCY": f"latency={concurrency}",
            "Q_WORKERS": str(workers),
            "Q_CLUSTER_NAME": f"bench{uuid.uuid4().hex[:8]}",
            "OCR_ENABLED": "0" if options["no_ocr"] else "1",
            # A benchmark deck may be larger than users' decks may be.
            "MAX_PAGES_PER_BATCH": str(max(pages, settings.NANODECK["MAX_PAGES_PER_BATCH"])),
            "LOG_LEVEL": "WARNING",
        }
        nanodeck = {
            **settings.NANODECK,
            "BENCHMARK_PROVIDERS": True,
            "LATENCY_PROVIDER_SECONDS": latency,
            "PROVIDER_CONCURRENCY": {"latency": concurrency},
            "OCR_ENABLED": not options["no_ocr"],
            "MAX_PAGES_PER_BATCH": max(pages, settings.NANODECK["MAX_PAGES_PER_BATCH"]),
        }
        with tempfile.TemporaryDirectory() as folder, override_settings(NANODECK=nanodeck):
            outline = Path(folder) / "outline.md"
            log = Path(folder) / "cluster.log"
            cluster = start_cluster(env, log)
            try:
                self._run(env, outline, 2 * workers, options["timeout"])  # warm-up
                cpu_before = group_cpu_seconds(cluster.pid)
                batch, peak_rss = self._run(
                    env, outline, pages, options["timeout"], measure_rss=cluster.pid
                )
                cpu_s = group_cpu_seconds(cluster.pid) - cpu_before
            except CommandError:
                self.stderr.write(log.read_text(errors="replace")[-2000:])
                raise
            finally:
                stop_cluster(cluster)
            figures = self._figures(batch, pages, concurrency, latency, workers, peak_rss)
            figures["cpu_ms_per_page"] = round(1000 * cpu_s / pages, 1)
            figures["db_queries_per_page"] = self._queries_per_page(pages)
        figures["ocr"] = not options["no_ocr"]
        figures["database"] = connection.vendor
        figures["broker"] = "redis" if settings.REDIS_URL else "orm"
        self.stdout.write(json.dumps(figures))

    def _run(
        self, env: dict, outline: Path, pages: int, timeout: float, measure_rss: int | None = None
    ):
        outline.write_text(bench_outline(pages, uuid.uuid4().hex[:12]), encoding="utf-8")
        template = SlideTemplate.objects.active().first()
        # Queued from a process with the cluster's environment, so the task reaches its queue.
        command = [sys.executable, "manage.py", "generate_deck", str(outline), "--async"]
        command += ["--provider=latency", f"--template={template.slug}"]
        created = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        if created.returncode:
            raise CommandError(created.stderr.strip())
        batch = Batch.objects.get(pk=created.stdout.strip())
        peak = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], group_rss_mb(measure_rss))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        if measure_rss:
            sampler.start()
        deadline = time.monotonic() + timeout
        while not Batch.objects.get(pk=batch.pk).is_final:
            if time.monotonic() > deadline:
                done.set()
                raise CommandError(f"batch {batch.pk} did not finish within {timeout:.0f} s")
            time.sleep(0.05)
        done.set()
        return Batch.objects.get(pk=batch.pk), peak[0]

    def _figures(
        self, batch: Batch, pages: int, concurrency: int, latency: float, workers: int, rss: float
    ) -> dict:
        if batch.status != BatchStatus.COMPLETED:
            raise CommandError(f"batch {batch.pk} ended {batch.status}: {batch.error}")
        first = batch.pages.aggregate(first=Min("finished_at"))["first"]
        wall = (batch.finished_at - batch.created_at).total_seconds()
        ideal = math.ceil(pages / concurrency) * latency
        return {
            "pages": pages,
            "concurrency": concurrency,
            "latency_s": latency,
            "workers": workers,
            "wall_s": round(wall, 3),
            "ideal_s": ideal,
            "overhead_ratio": round(wall / ideal, 3) if ideal else None,
            "time_to_first_page_s": round((first - batch.created_at).total_seconds(), 3),
            "cache_hits": StepRun.objects.filter(batch=batch, cache_hit=True).count(),
            "peak_rss_mb": round(rss, 1),
        }

    def _queries_per_page(self, pages: int) -> float:
        """The page task's queries, counted in this process on pages of a batch of the same size."""
        template = SlideTemplate.objects.active().first()
        batch = batch_plan(
            batch=batch_create(
                template=template,
                outline=bench_outline(pages, uuid.uuid4().hex[:12]),
                options={"provider": "latency"},
            )
        )
        try:
            sample = list(
                batch.pages.order_by("index").values_list("pk", flat=True)[
                    1 : 1 + QUERY_SAMPLE_PAGES
                ]
            )
            with CaptureQueriesContext(connection) as queries:
                for page_id in sample:
                    run_page(page_id)
            return round(len(queries) / len(sample), 1)
        finally:
            batch.delete()

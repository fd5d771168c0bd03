"""Benchmark the orchestration: a real cluster, a benchmark-only provider that only waits (a
drawn, seeded time: log-normal with a heavy tail of stuck calls), and the figures as one line
of JSON (wall time against the ideal per deck, their median and p90 over --repeat decks, hedged
calls and their price, first page, queries, CPU, memory).

The page texts of every deck carry a token drawn from --seed and the deck's number, so the same
seed makes the same decks (and the provider the same waits) with and without hedging; decks an
earlier run left with those texts are deleted first, and the warm-up's texts are its own, so no
render is ever served from the result cache: `cache_hits` must be 0."""

import hashlib
import json
import math
import os
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test.utils import override_settings

from generation.bench import (
    bench_outline,
    deck_figures,
    provider_draw_seconds,
    queries_per_page,
    summary,
)
from generation.cluster import (
    cluster_queue,
    group_cpu_seconds,
    group_rss_mb,
    start_cluster,
    stop_cluster,
)
from generation.errors import BrokerUnavailable, InvalidInput
from generation.models import Batch
from generation.providers.latency import Z95
from generation.services.batches import batch_create
from templates_app.models import SlideTemplate
from templates_app.starter import load_starter_templates

Z90 = 1.2815515655446004  # the standard normal's 90th percentile


def deck_token(seed: str, deck: str) -> str:
    return hashlib.sha256(f"{seed}:{deck}".encode()).hexdigest()[:12]


def lognormal_p90(median: float, p95: float) -> float:
    """The p90 of the provider's log-normal (the hedge delay's prior before any history)."""
    if p95 <= median:
        return median
    return median * math.exp(Z90 * math.log(p95 / median) / Z95)


class Command(BaseCommand):
    help = "Run decks through a real django-q2 cluster with a provider that only waits; print JSON figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pages", type=int, default=100)
        parser.add_argument("--concurrency", type=int, default=8, help="provider calls in flight")
        parser.add_argument("--latency", type=float, default=0.5, help="median seconds per call")
        parser.add_argument(
            "--latency-p95", type=float, default=None, help="p95 seconds (default: the median)"
        )
        parser.add_argument("--stuck-rate", type=float, default=0.0, help="share of stuck calls")
        parser.add_argument("--stuck-factor", type=float, default=10.0, help="how much slower")
        parser.add_argument("--repeat", type=int, default=1, help="decks measured one by one")
        parser.add_argument("--seed", default="0", help="the provider's and the decks' seed")
        parser.add_argument("--hedge", action="store_true", help="hedged render calls")
        parser.add_argument(
            "--hedge-quantile",
            type=float,
            default=None,
            help="the recent-latency quantile after which a duplicate starts (default: HEDGE_QUANTILE)",
        )
        parser.add_argument(
            "--workers", type=int, default=None, help="cluster workers (default: 1.5 x concurrency)"
        )
        parser.add_argument(
            "--no-ocr", action="store_true", help="switch the OCR check off for this run"
        )
        parser.add_argument("--timeout", type=float, default=600, help="seconds per deck")

    def handle(self, *args, **options) -> None:
        self._check(options)
        pages, concurrency = options["pages"], options["concurrency"]
        # More workers than slots: while some wait on the provider, others do the CPU work.
        workers = options["workers"] or math.ceil(1.5 * concurrency)
        options["workers"] = workers
        # With hedging, enough calls that the delay comes from this run's waits alone, not
        # from an earlier run's calls of the same provider.
        history = settings.NANODECK["HEDGE_HISTORY"] if options["hedge"] else 0
        options["warm_up_pages"] = max(2 * workers, history)
        load_starter_templates()
        load_before = os.getloadavg()
        env, nanodeck = self._settings(options)
        self.env = env
        tokens = [deck_token(options["seed"], str(n)) for n in range(options["repeat"])]
        warm_up = deck_token(options["seed"], "warm-up")
        for token in [warm_up, *tokens]:  # an earlier run's decks with these texts
            Batch.objects.filter(outline__contains=token).delete()
        with tempfile.TemporaryDirectory() as folder, override_settings(NANODECK=nanodeck):
            log = Path(folder) / "cluster.log"
            cluster = start_cluster(env, log)
            try:
                self._run(options["warm_up_pages"], warm_up, options)
                cpu_before = group_cpu_seconds(cluster.pid)
                decks = [self._run(pages, token, options, cluster.pid) for token in tokens]
                cpu_s = group_cpu_seconds(cluster.pid) - cpu_before
            except CommandError:
                self.stderr.write(log.read_text(errors="replace")[-2000:])
                raise
            finally:
                stop_cluster(cluster)
            try:
                measured = [deck_figures(batch, pages=pages, rss=rss) for batch, rss in decks]
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            figures = summary(
                measured,
                pages=pages,
                concurrency=concurrency,
                latency=options["latency"],
            )
            # The latency provider's drawing (OCR on: it draws each page's plan) stands for a
            # remote model's work, not ours: its CPU time is taken out.
            drawing_s = provider_draw_seconds([batch for batch, _ in decks])
            figures["cpu_ms_per_page"] = round(1000 * (cpu_s - drawing_s) / (pages * len(decks)), 1)
            figures["provider_draw_cpu_ms_per_page"] = round(
                1000 * drawing_s / (pages * len(decks)), 1
            )
            figures["db_queries_per_page"] = queries_per_page(pages)
        figures.update(self._described(options, nanodeck))
        figures["load_average"] = [round(x, 2) for x in (*load_before[:1], *os.getloadavg())]
        self.stdout.write(json.dumps(figures, ensure_ascii=False))

    def _check(self, options: dict) -> None:
        p95 = options["latency_p95"]
        if options["pages"] < 3 or options["concurrency"] < 1 or options["latency"] < 0:
            raise CommandError("--pages must be ≥ 3, --concurrency ≥ 1, --latency ≥ 0")
        if p95 is not None and p95 < options["latency"]:
            raise CommandError("--latency-p95 must be at least --latency (the median)")
        if not 0 <= options["stuck_rate"] <= 1 or options["stuck_factor"] < 1:
            raise CommandError("--stuck-rate must be from 0 to 1, --stuck-factor ≥ 1")
        if options["repeat"] < 1:
            raise CommandError("--repeat must be ≥ 1")
        quantile = options["hedge_quantile"]
        if quantile is not None and not 0.5 <= quantile <= 1:
            raise CommandError("--hedge-quantile must be from 0.5 to 1")

    def _settings(self, options: dict) -> tuple[dict, dict]:
        """The cluster's environment and the same settings for this process."""
        pages = max(options["pages"], options["warm_up_pages"])
        concurrency, latency = options["concurrency"], options["latency"]
        p95 = options["latency_p95"] or latency
        config = {
            "BENCHMARK_PROVIDERS": True,
            "LATENCY_PROVIDER_SECONDS": latency,
            "LATENCY_PROVIDER_P95": p95,
            "LATENCY_PROVIDER_STUCK_RATE": options["stuck_rate"],
            "LATENCY_PROVIDER_STUCK_FACTOR": options["stuck_factor"],
            "LATENCY_PROVIDER_SEED": options["seed"],
            # Before the warm-up's calls are known: the p90 of the distribution asked for.
            "HEDGE_PRIOR_SECONDS": round(lognormal_p90(latency, p95), 3),
            "HEDGE_QUANTILE": options["hedge_quantile"] or settings.NANODECK["HEDGE_QUANTILE"],
            "OCR_ENABLED": not options["no_ocr"],
            # A benchmark deck may be larger than users' decks may be.
            "MAX_PAGES_PER_BATCH": max(pages, settings.NANODECK["MAX_PAGES_PER_BATCH"]),
        }
        env = {key: str(value) for key, value in config.items()}
        env.update(
            BENCHMARK_PROVIDERS="1",
            OCR_ENABLED="1" if config["OCR_ENABLED"] else "0",
            PROVIDER_CONCURRENCY=f"latency={concurrency}",
            Q_WORKERS=str(options["workers"]),
            Q_CLUSTER_NAME=f"bench{os.getpid()}x{int(time.time()) % 100000}",
            LOG_LEVEL="WARNING",
        )
        nanodeck = {
            **settings.NANODECK,
            **config,
            "PROVIDER_CONCURRENCY": {"latency": concurrency},
        }
        return {**os.environ, **env}, nanodeck

    def _described(self, options: dict, nanodeck: dict) -> dict:
        return {
            "latency_p95_s": nanodeck["LATENCY_PROVIDER_P95"],
            "stuck_rate": options["stuck_rate"],
            "stuck_factor": options["stuck_factor"],
            "seed": options["seed"],
            "hedge": options["hedge"],
            "hedge_quantile": nanodeck["HEDGE_QUANTILE"],
            "hedge_prior_s": nanodeck["HEDGE_PRIOR_SECONDS"],
            "ocr": not options["no_ocr"],
            "database": connection.vendor,
            "broker": "redis" if settings.REDIS_URL else "orm",
        }

    def _run(
        self, pages: int, token: str, options: dict, measure_rss: int | None = None
    ) -> tuple[Batch, float]:
        template = SlideTemplate.objects.active().first()
        # Made here, as a web process makes a deck, and queued for the cluster started above.
        # (A `generate_deck --async` process made them before: its interpreter's exit, ~0.3 s
        # of CPU, ran beside the deck's first pages and was measured as the deck's own start.)
        try:
            with cluster_queue(self.env["Q_CLUSTER_NAME"]):
                batch = batch_create(
                    template=template,
                    outline=bench_outline(pages, token),
                    options={"provider": "latency", "hedge": options["hedge"]},
                    enqueue=True,
                )
        except (InvalidInput, BrokerUnavailable) as exc:
            raise CommandError(exc.message) from None
        peak = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], group_rss_mb(measure_rss))
                time.sleep(0.2)

        if measure_rss:
            threading.Thread(target=sample, daemon=True).start()
        deadline = time.monotonic() + options["timeout"]
        try:
            while not Batch.objects.get(pk=batch.pk).is_final:
                if time.monotonic() > deadline:
                    raise CommandError(f"batch {batch.pk} did not finish within the timeout")
                time.sleep(0.05)
        finally:
            done.set()
        return Batch.objects.get(pk=batch.pk), peak[0]

"""What the pipeline benchmark (manage.py bench_pipeline) measures on its decks: pure reads of
finished batches, apart from the command that runs the cluster."""

from __future__ import annotations

import http.client
import math
import signal
import socket
import statistics
import subprocess
import time
import uuid
from pathlib import Path

from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, Min, Q, Sum
from django.test.utils import CaptureQueriesContext

from generation.cluster import ROOT
from generation.models import Batch, BatchStatus, StepRun
from generation.services.batches import batch_create, batch_plan
from generation.tasks import run_page
from templates_app.models import SlideTemplate

QUERY_SAMPLE_PAGES = 5


def bench_outline(pages: int, token: str) -> str:
    """An outline of exactly `pages` slides (a cover, pages - 2 content pages and the ending
    page) whose texts carry `token`, so that no two decks ask a provider for the same slide."""
    body = "\n".join(
        f"## Page {n} {token}\n- first point {n} {token}\n- second point {n}\n"
        for n in range(1, pages - 1)
    )
    return f"# Benchmark deck {token}\n\n{body}"


def provider_draw_seconds(batches: list) -> float:
    """CPU seconds the benchmark provider spent drawing the batches' slides, from what the
    answers used reported (a hedged duplicate that lost reports nothing: hedging is measured
    with the OCR check off, where the provider draws nothing)."""
    runs = StepRun.objects.filter(batch__in=batches, step="render", provider="latency")
    return (
        sum(
            (run.output_data.get("usage") or {}).get("provider_draw_cpu_ms", 0.0)
            for run in runs.only("output_data")
        )
        / 1000
    )


def nearest_rank(values: list[float], quantile: float) -> float:
    """The smallest value with at least `quantile` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]


def deck_figures(batch: Batch, *, pages: int, rss: float) -> dict:
    """One finished deck: wall time, first page, cache hits, render calls, hedges, cost."""
    if batch.status != BatchStatus.COMPLETED:
        raise ValueError(f"batch {batch.pk} ended {batch.status}: {batch.error}")
    first = batch.pages.aggregate(first=Min("finished_at"))["first"]
    renders = StepRun.objects.filter(batch=batch, step="render").aggregate(
        calls=Count("pk", filter=Q(cache_hit=False)),
        hedged=Count("pk", filter=Q(hedged=True)),
        won=Count("pk", filter=Q(hedge_won=True)),
        cost=Sum("cost_usd"),
        hedge_cost=Sum("hedge_cost_usd"),
        cache_hits=Count("pk", filter=Q(cache_hit=True)),
    )
    return {
        "wall_s": (batch.finished_at - batch.created_at).total_seconds(),
        "first_s": (first - batch.created_at).total_seconds(),
        "rss": rss,
        **{key: value or 0 for key, value in renders.items()},
    }


def summary(decks: list[dict], *, pages: int, concurrency: int, latency: float) -> dict:
    """The figures over the decks: each deck's wall time over the ideal (median latency x
    ceil(pages / concurrency)), their median and p90 (nearest rank), hedges and extra cost."""
    ideal = math.ceil(pages / concurrency) * latency
    walls = [deck["wall_s"] for deck in decks]
    ratios = [round(wall / ideal, 3) for wall in walls] if ideal else []

    def total(key: str) -> float:
        return sum(deck[key] for deck in decks)

    primary_cost = total("cost") - total("hedge_cost")
    return {
        "pages": pages,
        "concurrency": concurrency,
        "latency_s": latency,
        "repeat": len(decks),
        "wall_s": round(statistics.median(walls), 3),
        "ideal_s": ideal,
        "overhead_ratio": round(statistics.median(ratios), 3) if ratios else None,
        "ratios": ratios,
        "ratio_median": round(statistics.median(ratios), 3) if ratios else None,
        "ratio_p90": nearest_rank(ratios, 0.9) if ratios else None,
        "time_to_first_page_s": round(statistics.median(d["first_s"] for d in decks), 3),
        "cache_hits": int(total("cache_hits")),
        "render_calls": int(total("calls")),
        "hedges": int(total("hedged")),
        "hedges_won": int(total("won")),
        "hedges_per_page": round(total("hedged") / (pages * len(decks)), 4),
        "extra_calls_share": round(total("hedged") / total("calls"), 4) if total("calls") else 0,
        "cost_usd": round(total("cost"), 4),
        "extra_cost_usd": round(total("hedge_cost"), 4),
        "extra_cost_share": round(total("hedge_cost") / primary_cost, 4) if primary_cost else 0,
        "peak_rss_mb": round(max(deck["rss"] for deck in decks), 1),
    }


def queries_per_page(pages: int) -> float:
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
            batch.pages.order_by("index").values_list("pk", flat=True)[1 : 1 + QUERY_SAMPLE_PAGES]
        )
        with CaptureQueriesContext(connection) as queries:
            for page_id in sample:
                run_page(page_id)
        return round(len(queries) / len(sample), 1)
    finally:
        batch.delete()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(command: list[str], env: dict, port: int, log: Path) -> subprocess.Popen:
    """A site's server process (its output to `log`), once it answers `/healthz`."""
    with log.open("ab") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise CommandError(f"the server did not answer on port {port} within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 15 s."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()

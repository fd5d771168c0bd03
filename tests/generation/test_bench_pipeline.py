"""The pipeline benchmark runs a real cluster and prints its figures as JSON."""

import json

import pytest
from django.core.management import CommandError, call_command

from tests.processes import isolated_env, manage


def _bench(env: dict) -> dict:
    out = manage(
        env,
        "bench_pipeline",
        "--pages=6",
        "--concurrency=3",
        "--latency=0.2",
        "--workers=2",
        "--no-ocr",
    )
    assert len(out.splitlines()) == 1  # one line of JSON on stdout, logs elsewhere
    return json.loads(out)


@pytest.mark.slow
def test_the_pipeline_benchmark_prints_its_figures_and_never_hits_the_cache(tmp_path):
    env = isolated_env(tmp_path, SQLITE_PATH=str(tmp_path / "bench.sqlite3"))
    manage(env, "migrate", "--noinput", "-v", "0")
    _bench(env)

    figures = _bench(env)  # the same database again: an earlier run must not help this one

    assert figures["pages"] == 6
    assert figures["ideal_s"] == 0.4  # ceil(6 / 3) x 0.2
    assert figures["wall_s"] >= figures["ideal_s"]
    assert figures["overhead_ratio"] == pytest.approx(
        figures["wall_s"] / figures["ideal_s"], abs=0.002
    )
    assert 0 < figures["time_to_first_page_s"] <= figures["wall_s"]
    assert figures["cache_hits"] == 0
    assert figures["cpu_ms_per_page"] > 0
    assert figures["db_queries_per_page"] > 0
    assert figures["peak_rss_mb"] > 20
    assert (figures["database"], figures["broker"], figures["ocr"]) == ("sqlite", "orm", False)


@pytest.mark.slow
def test_repeated_seeded_decks_report_the_ratio_median_and_p90_and_the_hedges(tmp_path):
    # A small history: the warm-up of a hedged run has HEDGE_HISTORY pages.
    env = isolated_env(tmp_path, SQLITE_PATH=str(tmp_path / "bench.sqlite3"), HEDGE_HISTORY="10")
    manage(env, "migrate", "--noinput", "-v", "0")
    args = ["--pages=4", "--concurrency=2", "--latency=0.05", "--latency-p95=0.1"]
    args += ["--stuck-rate=0.2", "--stuck-factor=10", "--repeat=3", "--seed=5", "--workers=3"]

    out = manage(env, "bench_pipeline", *args, "--hedge", "--no-ocr")

    assert len(out.splitlines()) == 1
    figures = json.loads(out)
    assert (figures["repeat"], figures["seed"], figures["hedge"]) == (3, "5", True)
    assert (figures["latency_p95_s"], figures["stuck_rate"], figures["stuck_factor"]) == (
        0.1,
        0.2,
        10.0,
    )
    assert figures["ideal_s"] == 0.1  # ceil(4 / 2) x the median
    assert len(figures["ratios"]) == 3
    assert figures["ratio_median"] == sorted(figures["ratios"])[1]
    assert figures["ratio_p90"] == max(figures["ratios"])  # nearest rank of 3
    assert figures["render_calls"] == 12
    assert figures["cache_hits"] == 0
    assert figures["hedges_per_page"] == pytest.approx(figures["hedges"] / 12, abs=1e-4)
    assert figures["extra_calls_share"] == pytest.approx(figures["hedges"] / 12, abs=1e-4)
    assert figures["extra_cost_usd"] == pytest.approx(figures["hedges"] * 0.1351, abs=1e-3)
    assert len(figures["load_average"]) == 4


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--latency=0.5", "--latency-p95=0.49"], "--latency-p95"),
        (["--stuck-rate=1.01"], "--stuck-rate"),
        (["--stuck-rate=-0.01"], "--stuck-rate"),
        (["--stuck-factor=0.99"], "--stuck-factor"),
        (["--repeat=0"], "--repeat"),
        (["--hedge-quantile=0.49"], "--hedge-quantile"),
        (["--hedge-quantile=1.01"], "--hedge-quantile"),
    ],
)
def test_the_benchmark_refuses_a_distribution_or_run_it_cannot_mean(args, named):
    with pytest.raises(CommandError, match=named):
        call_command("bench_pipeline", *args)

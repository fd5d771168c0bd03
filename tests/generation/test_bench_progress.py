"""The progress benchmark polls a running batch through a real server and prints one line of
JSON with its latency figures and setup."""

import json

from tests.processes import isolated_env, manage


def test_the_progress_benchmark_prints_one_line_of_figures(tmp_path):
    env = isolated_env(tmp_path, SQLITE_PATH=str(tmp_path / "bench.sqlite3"))
    manage(env, "migrate", "--noinput", "-v", "0")

    output = manage(
        env,
        "bench_progress",
        "--clients=3",
        "--seconds=2",
        "--interval=0.1",
        "--pages=8",
        "--workers=2",
        "--concurrency=2",
        "--latency=1",
        "--server-workers=1",
    )

    assert len(output.splitlines()) == 1
    figures = json.loads(output)
    assert figures["requests"] > 10
    assert figures["errors"] == 0
    assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert figures["batch_status_at_end"] == "running"  # measured while the batch ran
    assert figures["server"].startswith("gunicorn")
    assert (figures["clients"], figures["database"], figures["broker"]) == (3, "sqlite", "orm")

"""The live-progress benchmark follows a running batch from many clients on one uvicorn
process and prints one line of JSON with the delays, connections and server memory."""

import json

import pytest

from tests.processes import isolated_env, manage


@pytest.mark.slow
def test_the_events_benchmark_prints_one_line_of_figures(tmp_path):
    env = isolated_env(tmp_path, SQLITE_PATH=str(tmp_path / "bench.sqlite3"))
    manage(env, "migrate", "--noinput", "-v", "0")

    output = manage(env, "bench_events", "--clients=5", "--pages=3", "--workers=2", "--latency=0.2")

    assert len(output.splitlines()) == 1
    figures = json.loads(output)
    assert figures["connections_held"] == figures["completed_streams"] == 5
    assert figures["errors"] == 0
    # every client saw each of the 3 pages change at least once (a poll may fold a page's
    # running and completed into one event)
    assert figures["page_events"] >= 5 * 3
    assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert figures["server_rss_mb"] > 0
    assert (figures["database"], figures["wake_up"]) == ("sqlite", "database poll")

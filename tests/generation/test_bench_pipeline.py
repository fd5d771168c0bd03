"""The pipeline benchmark runs a real cluster and prints its figures as JSON."""

import json
import os
import subprocess
import sys

import pytest

from generation.cluster import ROOT


def test_the_pipeline_benchmark_prints_its_figures(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(SQLITE_PATH=str(tmp_path / "bench.sqlite3"), MEDIA_ROOT=str(tmp_path / "media"))

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    manage("migrate", "--noinput", "-v", "0")
    figures = json.loads(
        manage(
            "bench_pipeline",
            "--pages=6",
            "--concurrency=3",
            "--latency=0.2",
            "--workers=2",
            "--no-ocr",
        )
    )

    assert figures["pages"] == 6
    assert figures["ideal_s"] == 0.4  # ceil(6 / 3) x 0.2
    assert figures["wall_s"] >= figures["ideal_s"]
    assert figures["overhead_ratio"] == pytest.approx(
        figures["wall_s"] / figures["ideal_s"], abs=0.002
    )
    assert 0 < figures["time_to_first_page_s"] <= figures["wall_s"]
    assert figures["db_queries_per_page"] > 0
    assert figures["peak_rss_mb"] > 20
    assert (figures["database"], figures["broker"], figures["ocr"]) == ("sqlite", "orm", False)

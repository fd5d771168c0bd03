"""Crash safety, tested: a real django-q2 cluster is killed with SIGKILL mid-batch, a new one
takes over, and every page still ends completed exactly once with contiguous attempts.

Runs on the embedded stack (SQLite + ORM broker) and on the production stack (PostgreSQL +
Redis broker); the latter is skipped, with the reason, only where those servers are absent.
"""

import signal
import time
from pathlib import Path

import pytest

from generation.cluster import start_cluster, stop_cluster
from tests.processes import manage
from tests.stacks import STACKS, real_stack

ROOT = Path(__file__).resolve().parents[2]
CONTENT_PAGES = 23  # plus the cover: 24 pages (no ending page)
OUTLINE = "# Crash drill\n\n" + "\n".join(
    f"## Page {n}\n- first point of page {n}\n- second point of page {n}\n"
    for n in range(1, CONTENT_PAGES + 1)
)


@pytest.fixture(params=STACKS)
def stack(request, tmp_path):
    with real_stack(
        request.param,
        tmp_path,
        "crash",
        BENCHMARK_PROVIDERS="1",
        LATENCY_PROVIDER_SECONDS="0.5",
        PROVIDER_CONCURRENCY="latency=4",
        Q_WORKERS="4",
        Q_TIMEOUT="60",
        OCR_ENABLED="0",
        PAGE_LEASE_SECONDS="3",
        REQUEUE_AFTER_SECONDS="4",
        LOG_LEVEL="WARNING",
    ) as found:
        yield found


def wait_for(condition, *, timeout: float, every: float = 0.2, between=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if between:
            between()
        time.sleep(every)
    return False


@pytest.mark.slow
def test_a_batch_survives_a_worker_killed_mid_batch(stack, tmp_path):
    env, db = stack
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_starter_templates")
    outline = tmp_path / "outline.md"
    outline.write_text(OUTLINE, encoding="utf-8")
    batch_id = manage(
        env, "generate_deck", str(outline), "--async", "--provider", "latency", "--no-ending"
    )
    key = batch_id.replace("-", "") if db.kind == "sqlite" else batch_id

    def pages(status: str) -> int:
        sql = "SELECT count(*) FROM generation_page WHERE batch_id = %s AND status = %s"
        return db.rows(sql, key, status)[0][0]

    log = tmp_path / "cluster.log"
    first = start_cluster(env, log)
    try:
        started = wait_for(
            lambda: pages("completed") >= 4 and pages("running") >= 1, timeout=90, every=0.05
        )
        assert started, log.read_text(errors="replace")[-3000:]
        running_at_kill = pages("running")
    finally:
        stop_cluster(first, signal.SIGKILL)
    completed_at_kill = pages("completed")
    assert running_at_kill >= 1
    assert completed_at_kill < CONTENT_PAGES + 1

    second = start_cluster(env, log)
    try:

        def final() -> bool:
            status = db.rows("SELECT status FROM generation_batch WHERE id = %s", key)[0][0]
            return status in {"completed", "partial", "failed"}

        finished = wait_for(final, timeout=150, every=2, between=lambda: manage(env, "sweep"))
        assert finished, log.read_text(errors="replace")[-3000:]
    finally:
        stop_cluster(second)

    status, total, completed = db.rows(
        "SELECT status, total_pages, completed_pages FROM generation_batch WHERE id = %s", key
    )[0]
    assert (status, total, completed) == ("completed", CONTENT_PAGES + 1, CONTENT_PAGES + 1)
    assert pages("completed") == CONTENT_PAGES + 1
    selected = db.rows(
        "SELECT r.page_id, r.step, count(*) FROM generation_steprun r JOIN generation_page p ON p.id = r.page_id "
        "WHERE p.batch_id = %s AND r.selected GROUP BY r.page_id, r.step",
        key,
    )
    assert len(selected) == 3 * (CONTENT_PAGES + 1)  # describe, render, finish for every page
    assert {count for _, _, count in selected} == {1}  # never a second selected output
    attempts = db.rows(
        "SELECT r.page_id, r.step, min(r.attempt), max(r.attempt), count(*) FROM generation_steprun r "
        "JOIN generation_page p ON p.id = r.page_id WHERE p.batch_id = %s GROUP BY r.page_id, r.step",
        key,
    )
    assert all(low == 1 and high == count for _, _, low, high, count in attempts)  # contiguous

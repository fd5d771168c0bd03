"""Stopping like a service: SIGTERM to the workers' whole process group (what systemd's
default KillMode sends) or to its main process only stops every process within 10 seconds, and a
page a worker held ends released (back to pending, lease cleared) or finished, never stuck
until its lease expires. A new cluster then finishes the batch without a sweep.

Real clusters on both stacks, as in the crash test.
"""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from generation.cluster import start_cluster, stop_cluster
from tests.generation.test_crash import stack, wait_for  # noqa: F401  (the stack fixture)
from tests.processes import manage

PAGES = 6  # a cover and five content pages
OUTLINE = "# Shutdown drill\n\n" + "\n".join(
    f"## Page {n}\n- first point of page {n}\n- second point of page {n}\n" for n in range(1, PAGES)
)
STOP_BUDGET_SECONDS = 10


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    members.append(int(entry.name))
    return members


@pytest.mark.parametrize("target", ["group", "main process"])
def test_sigterm_stops_the_cluster_within_10_s_and_hands_back_held_pages(
    stack,  # noqa: F811
    tmp_path,
    target,
):
    """`group`: systemd's default KillMode and `kill -- -PGID`; `main process`: KillMode=mixed
    and container runtimes, where runworkers passes the signal on to its workers."""
    env, db = stack
    # Provider calls far longer than the stop budget: a page in flight cannot finish in time,
    # and leases far longer than the test: a page must be released, not left to expire.
    env.update(LATENCY_PROVIDER_SECONDS="60", PAGE_LEASE_SECONDS="900", REQUEUE_AFTER_SECONDS="900")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_starter_templates")
    outline = tmp_path / "outline.md"
    outline.write_text(OUTLINE, encoding="utf-8")
    batch_id = manage(
        env, "generate_deck", str(outline), "--async", "--provider", "latency", "--no-ending"
    )
    key = batch_id.replace("-", "") if db.kind == "sqlite" else batch_id

    def pages(**where: str) -> int:
        sql = "SELECT count(*) FROM generation_page WHERE batch_id = %s"
        sql += "".join(f" AND {column} = %s" for column in where)
        return db.rows(sql, key, *where.values())[0][0]

    log = tmp_path / "cluster.log"
    cluster = start_cluster(env, log)
    try:
        busy = wait_for(lambda: pages(status="running") >= 2, timeout=90, every=0.1)
        assert busy, log.read_text(errors="replace")[-3000:]
        time.sleep(0.5)  # into the provider call
        started = time.monotonic()
        if target == "group":
            os.killpg(cluster.pid, signal.SIGTERM)
        else:
            os.kill(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=STOP_BUDGET_SECONDS)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the cluster did not stop within {STOP_BUDGET_SECONDS} s of SIGTERM:\n"
                + log.read_text(errors="replace")[-3000:]
            ) from None
        gone = wait_for(lambda: not group_members(cluster.pid), timeout=1, every=0.05)
        stopped_in = time.monotonic() - started
    finally:
        stop_cluster(cluster, signal.SIGKILL)
    assert gone, f"processes left in the group: {group_members(cluster.pid)}"
    assert stopped_in <= STOP_BUDGET_SECONDS
    assert pages(status="running") == 0, log.read_text(errors="replace")[-3000:]
    assert db.rows(
        "SELECT count(*) FROM generation_page WHERE batch_id = %s AND lease_owner <> ''", key
    ) == [(0,)]

    env["LATENCY_PROVIDER_SECONDS"] = "0.2"
    successor = start_cluster(env, log)
    try:

        def finished() -> bool:
            status = db.rows("SELECT status FROM generation_batch WHERE id = %s", key)[0][0]
            return status in {"completed", "partial", "failed"}

        assert wait_for(finished, timeout=90, every=0.5), log.read_text(errors="replace")[-3000:]
    finally:
        stop_cluster(successor)
    assert pages(status="completed") == PAGES

"""The workers' cluster: `run_workers` (what `manage.py runworkers` runs) and, for benchmarks
and tests, starting and stopping one as a child process group and measuring its memory.

Why not plain `qcluster`: SIGTERM to its whole process group (systemd's default KillMode,
container runtimes, `kill -- -PGID`) hung it. django-q2's sentinel resets SIGTERM to "die", so
the signal killed the sentinel, its pusher, monitor and workers on the spot, pages included,
while the master's handler waited forever on a multiprocessing Event whose waiter had died.
Here the sentinel, pusher and monitor ignore SIGTERM and stop when the master tells them (as
they already did for SIGINT); the sentinel passes SIGTERM on to its workers, which finish or
hand back their page within WORKER_STOP_GRACE_SECONDS (generation/shutdown.py).
"""

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from django_q.cluster import Sentinel, get_mp_context
from django_q.conf import Conf
from django_q.signals import post_spawn

from generation import shutdown

ROOT = Path(__file__).resolve().parent.parent
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}

logger = logging.getLogger("nanodeck.workers")


class GracefulSentinel(Sentinel):
    """django-q2's sentinel (it spawns and guards the workers, pusher and monitor), except that
    SIGTERM does not kill it, and that it tells its workers to stop before waiting for them."""

    def __init__(self, stop_event, start_event, cluster_id) -> None:
        super().__init__(stop_event, start_event, cluster_id, start=False)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # inherited by pusher, monitor, workers
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked by the master
        self.start()

    def stop(self) -> None:
        for process in self.pool:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
        super().stop()


def run_workers() -> int:
    """Run a django-q2 cluster until SIGTERM or SIGINT (to this process or its whole group);
    returns the sentinel's exit code."""
    requested = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: requested.set())
    post_spawn.connect(shutdown.install_in_worker, dispatch_uid="nanodeck-worker-stop")
    context = get_mp_context()
    stop_event, start_event = context.Event(), context.Event()
    sentinel = context.Process(
        target=GracefulSentinel,
        args=(stop_event, start_event, uuid.uuid4()),
        name=f"Process-{uuid.uuid4().hex}",
    )
    # Blocked while forking: the sentinel must not die before it ignores SIGTERM.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        sentinel.start()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    logger.info("workers_started pid=%s sentinel=%s", os.getpid(), sentinel.pid)
    while sentinel.is_alive() and not requested.wait(0.5):
        pass
    if sentinel.is_alive():
        logger.info("workers_stopping")
        stop_event.set()
        sentinel.join()
    logger.info("workers_stopped exitcode=%s", sentinel.exitcode)
    return sentinel.exitcode or 0


def start_cluster(env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "runworkers"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the whole cluster can be signalled
        )


@contextlib.contextmanager
def cluster_queue(name: str) -> Iterator[None]:
    """Tasks this process sends meanwhile go to the cluster called `name` (one started with
    Q_CLUSTER_NAME=`name`, which settings make its Q_CLUSTER name) instead of this process's
    own: django-q2 sends to Conf.CLUSTER_NAME's queue, signed with Conf.PREFIX as the salt."""
    before = Conf.CLUSTER_NAME, Conf.PREFIX
    Conf.CLUSTER_NAME = Conf.PREFIX = name
    try:
        yield
    finally:
        Conf.CLUSTER_NAME, Conf.PREFIX = before


def stop_cluster(cluster: subprocess.Popen, sig: int = signal.SIGINT) -> None:
    """Signal the whole group; SIGKILL it if it has not stopped within 15 seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(cluster.pid, sig)
    try:
        cluster.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=5)


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
    return pids


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every process in the group, their reaped children included
    (Linux /proc/<pid>/stat fields 14-17, in clock ticks)."""
    ticks = 0
    for pid in _group_pids(pgid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in the group, in MB (Linux /proc)."""
    total_kb = 0
    for pid in _group_pids(pgid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            status = Path(f"/proc/{pid}/status").read_text()
            total_kb += int(status.split("VmRSS:")[1].split()[0])
    return total_kb / 1024

"""Start and stop a real django-q2 cluster as a child process group (benchmarks and the
crash test use it), and measure its memory."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_cluster(env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the whole cluster can be signalled
        )


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


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in the group, in MB (Linux /proc)."""
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            if os.getpgid(int(entry.name)) != pgid:
                continue
            status = (entry / "status").read_text()
            total_kb += int(status.split("VmRSS:")[1].split()[0])
    return total_kb / 1024

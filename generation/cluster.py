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

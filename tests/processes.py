"""Running manage.py in child processes with an environment of the test's own."""

import os
import subprocess
import sys
from pathlib import Path

from generation.cluster import ROOT

INHERITED_STACK = {
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "SQLITE_PATH",
    "MEDIA_ROOT",
}


def isolated_env(tmp_path: Path, **extra: str) -> dict:
    """This process's environment without its database, broker and media, plus `extra`."""
    env = {key: value for key, value in os.environ.items() if key not in INHERITED_STACK}
    env.update(MEDIA_ROOT=str(tmp_path / "media"), **extra)
    return env


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()

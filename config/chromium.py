"""Debian's Chromium as the project drives it through Playwright (screenshots and browser tests):
the packaged browser, never a download, with the flags an offline machine needs."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# The machine is offline: without these Chromium stalls on refused background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

"""Benchmark live progress: N clients follow one batch's event stream on one uvicorn process
while a cluster (another process) runs the batch with the benchmark-only `latency` provider.

Each client is an asyncio task on a raw socket in this process. A page event's id carries the
page's stamp (its updated_at, written in the commit), so its delay is the time from that stamp
to the event's arrival at the client. Prints one line of JSON: connections held, p50/p99/max
delay, the server's peak RSS, and the setup.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from generation.bench import bench_outline, free_port, nearest_rank, start_server, stop_server
from generation.cluster import start_cluster, stop_cluster
from generation.management.commands.bench_progress import _Client
from generation.models import Batch, BatchStatus
from templates_app.models import SlideTemplate
from templates_app.starter import load_starter_templates

SERVER = (sys.executable, "-m", "uvicorn", "config.asgi:application", "--log-level", "warning")
SERVER += ("--no-access-log", "--backlog", "4096")


class Command(BaseCommand):
    help = "Follow one running batch's event stream from many clients; print delays as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=500)
        parser.add_argument("--pages", type=int, default=30)
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--concurrency", type=int, default=4, help="provider calls in flight")
        parser.add_argument("--latency", type=float, default=1.0, help="seconds per image call")
        parser.add_argument("--timeout", type=float, default=300, help="seconds for the deck")

    def handle(self, *args, **options) -> None:
        if options["clients"] < 1 or options["pages"] < 2:
            raise CommandError("--clients must be ≥ 1 and --pages ≥ 2")
        _raise_open_files(options["clients"])
        load_starter_templates()
        port, env = free_port(), self._env(options)
        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "processes.log"
            cluster = start_cluster(env, log)
            server = start_server([*SERVER, "--port", str(port)], env, port, log)
            try:
                client = _Client(port, self._token())
                batch_id = self._start_batch(client, options["pages"])
                run = asyncio.run(_follow(port, client, batch_id, server.pid, options))
            except (CommandError, OSError):
                self.stderr.write(log.read_text(errors="replace")[-2000:])
                raise
            finally:
                stop_server(server)
                stop_cluster(cluster)
        self.stdout.write(json.dumps(_figures(run, options)))

    def _env(self, options: dict) -> dict:
        return {
            **os.environ,
            "BENCHMARK_PROVIDERS": "1",
            "LATENCY_PROVIDER_SECONDS": str(options["latency"]),
            "PROVIDER_CONCURRENCY": f"latency={options['concurrency']}",
            "Q_WORKERS": str(options["workers"]),
            "Q_CLUSTER_NAME": f"bench{uuid.uuid4().hex[:8]}",
            "OCR_ENABLED": "0",
            "LOG_LEVEL": "WARNING",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "THROTTLE_BATCH_CREATE": "1000/hour",
        }

    def _token(self) -> str:
        from django.contrib.auth import get_user_model
        from rest_framework.authtoken.models import Token

        # Staff: the benchmark measures the stream, not billing.
        user, _ = get_user_model().objects.update_or_create(
            username="bench-events", defaults={"is_staff": True}
        )
        return Token.objects.get_or_create(user=user)[0].key

    def _start_batch(self, client: _Client, pages: int) -> str:
        """A batch paused after planning: every client connects before a page is drawn."""
        body = {
            "outline": bench_outline(pages, uuid.uuid4().hex[:12]),
            "template": SlideTemplate.objects.active().first().slug,
            "options": {"provider": "latency", "fresh": True, "pause_after": "plan"},
        }
        status, created = client.call("POST", "/api/v1/batches/", body)
        if status != 201:
            raise CommandError(f"creating the batch answered {status}: {created}")
        deadline = time.monotonic() + 60
        while Batch.objects.get(pk=created["id"]).status != BatchStatus.AWAITING_APPROVAL:
            if time.monotonic() > deadline:
                raise CommandError("the batch was not planned within 60 s")
            time.sleep(0.1)
        return created["id"]


def _raise_open_files(clients: int) -> None:
    """Each client is a socket here and one in the server (which inherits this limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, clients * 2 + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


class _Run:
    def __init__(self) -> None:
        self.delays: list[float] = []  # seconds from a page's stamp to its event's arrival
        self.connected = self.completed = self.errors = 0
        self.peak_rss_mb = self.server_cpu_s = 0.0
        self.approved_at = self.deck_s = 0.0


async def _follow(port: int, client: _Client, batch_id: str, pid: int, options: dict) -> _Run:
    """Connect every client, approve the batch once all are caught up, then read until each
    has its `complete` (or the timeout)."""
    run = _Run()
    caught_up = asyncio.Event()
    tasks = [
        asyncio.create_task(_client(port, client.token, batch_id, run, caught_up, options))
        for _ in range(options["clients"])
    ]
    sampler = asyncio.create_task(_sample_rss(pid, run))
    deadline = time.monotonic() + 120
    while run.connected + run.errors < options["clients"] and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    run.approved_at = time.time()
    status, _ = await asyncio.to_thread(
        client.call, "POST", f"/api/v1/batches/{batch_id}/approve/", {}
    )
    if status != 202:
        raise CommandError(f"approving the batch answered {status}")
    caught_up.set()
    await asyncio.wait(tasks, timeout=options["timeout"])
    run.deck_s = time.time() - run.approved_at
    sampler.cancel()
    for task in tasks:
        task.cancel()
    return run


async def _sample_rss(pid: int, run: _Run) -> None:
    """The server's peak RSS and its CPU time (user + system) so far."""
    tick = os.sysconf("SC_CLK_TCK")
    while True:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    run.peak_rss_mb = max(run.peak_rss_mb, int(line.split()[1]) / 1024)
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        run.server_cpu_s = (int(fields[11]) + int(fields[12])) / tick
        await asyncio.sleep(0.5)


async def _client(
    port: int, token: str, batch_id: str, run: _Run, caught_up: asyncio.Event, options: dict
) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        run.errors += 1
        return
    try:
        writer.write(
            f"GET /api/v1/batches/{batch_id}/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        if b" 200 " not in await reader.readline():
            run.errors += 1
            return
        while (await reader.readline()).strip():
            pass  # the headers
        await _read_events(reader, run, caught_up)
    except (OSError, asyncio.IncompleteReadError, ValueError):
        run.errors += 1
    finally:
        writer.close()


async def _read_events(reader: asyncio.StreamReader, run: _Run, caught_up: asyncio.Event) -> None:
    """Chunked transfer; a chunk holds one or more events (or a comment)."""
    connected, stamps = False, set()
    while True:
        size = int((await reader.readline()).strip() or b"0", 16)
        if not size:
            return
        arrived = time.time()
        for block in (await reader.readexactly(size + 2))[:-2].decode().split("\n\n"):
            if block.startswith("event: progress") and not connected:
                connected = True
                run.connected += 1
            elif block.startswith("event: page") and caught_up.is_set():
                event_id = block.split("\nid: ", 1)[1].split("\n", 1)[0]
                stamp = int(event_id.split("-", 1)[0]) / 1_000_000
                # A page event again under the same id shows a new attempt or score (step
                # runs do not stamp the page): its stamp is not the commit it shows.
                if stamp >= run.approved_at and event_id not in stamps:
                    run.delays.append(arrived - stamp)
                stamps.add(event_id)
            elif block.startswith("event: complete"):
                run.completed += 1
                return


def _figures(run: _Run, options: dict) -> dict:
    if not run.delays:
        raise CommandError(f"no page event arrived ({run.errors} client errors)")
    delays = sorted(run.delays)
    return {
        "clients": options["clients"],
        "connections_held": run.connected,
        "completed_streams": run.completed,
        "errors": run.errors,
        "page_events": len(delays),
        "p50_ms": round(statistics.median(delays) * 1000, 1),
        "p99_ms": round(nearest_rank(delays, 0.99) * 1000, 1),
        "max_ms": round(delays[-1] * 1000, 1),
        "server_rss_mb": round(run.peak_rss_mb, 1),
        "server_cpu_s": round(run.server_cpu_s, 1),
        "deck_s": round(run.deck_s, 1),
        "server": "uvicorn config.asgi:application (1 process)",
        "pages": options["pages"],
        "workers": options["workers"],
        "concurrency": options["concurrency"],
        "latency_s": options["latency"],
        "database": connection.vendor,
        "wake_up": "redis" if settings.REDIS_URL else "database poll",
        "poll_s": settings.NANODECK["EVENTS_POLL_SECONDS"],
    }

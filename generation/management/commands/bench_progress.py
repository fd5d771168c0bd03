"""Benchmark the progress endpoint under load: a real server process, a real cluster running a
batch with the benchmark-only `latency` provider, and N clients polling that batch's progress.
Prints one line of JSON: p50/p99/max latency, requests, and the setup."""

import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rest_framework.authtoken.models import Token

from generation.bench import bench_outline, free_port, start_server, stop_server
from generation.cluster import start_cluster, stop_cluster
from generation.models import Batch, BatchStatus
from generation.services.batches import batch_cancel
from templates_app.models import SlideTemplate
from templates_app.starter import load_starter_templates


class Command(BaseCommand):
    help = "Poll one running batch's progress from many clients; print p50/p99 latency as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=32)
        parser.add_argument("--seconds", type=float, default=20)
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="pause between a client's polls, in seconds (0: poll back to back)",
        )
        parser.add_argument("--pages", type=int, default=60)
        parser.add_argument("--workers", type=int, default=6)
        parser.add_argument("--concurrency", type=int, default=4, help="provider calls in flight")
        parser.add_argument("--latency", type=float, default=2.0, help="seconds per image call")
        parser.add_argument("--ocr", action="store_true", help="run the OCR check in the batch")
        parser.add_argument(
            "--server-workers", type=int, default=2, help="gunicorn worker processes"
        )
        parser.add_argument("--server-threads", type=int, default=4, help="threads per worker")

    def handle(self, *args, **options) -> None:
        if options["clients"] < 1 or options["seconds"] <= 0 or options["pages"] < 2:
            raise CommandError("--clients must be ≥ 1, --seconds > 0, --pages ≥ 2")
        load_starter_templates()
        token = self._token()
        port = free_port()
        env = {
            **os.environ,
            "BENCHMARK_PROVIDERS": "1",
            "LATENCY_PROVIDER_SECONDS": str(options["latency"]),
            "PROVIDER_CONCURRENCY": f"latency={options['concurrency']}",
            "Q_WORKERS": str(options["workers"]),
            "Q_CLUSTER_NAME": f"bench{uuid.uuid4().hex[:8]}",
            "OCR_ENABLED": "1" if options["ocr"] else "0",
            "LOG_LEVEL": "WARNING",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "THROTTLE_BATCH_CREATE": "1000/hour",
        }
        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "processes.log"
            cluster = start_cluster(env, log)
            server = start_server(_server_command(port, options), env, port, log)
            try:
                client = _Client(port, token)
                batch_id = self._start_batch(client, options["pages"])
                samples, errors = _poll(client, batch_id, options)
                status = Batch.objects.get(pk=batch_id).status
            except CommandError:
                self.stderr.write(log.read_text(errors="replace")[-2000:])
                raise
            finally:
                stop_server(server)
                stop_cluster(cluster)
        self._cancel(batch_id)
        self.stdout.write(json.dumps(self._figures(samples, errors, status, options)))

    def _token(self) -> str:
        # Staff: the benchmark measures progress, not billing (staff work costs no credits
        # unless CHARGE_STAFF is on).
        user, _ = get_user_model().objects.update_or_create(
            username="bench-progress", defaults={"is_staff": True}
        )
        return Token.objects.get_or_create(user=user)[0].key

    def _start_batch(self, client: "_Client", pages: int) -> str:
        template = SlideTemplate.objects.active().first()
        body = {
            "outline": bench_outline(pages, uuid.uuid4().hex[:12]),
            "template": template.slug,
            "options": {"provider": "latency", "fresh": True},
        }
        status, created = client.call("POST", "/api/v1/batches/", body)
        if status != 201:
            raise CommandError(f"creating the batch answered {status}: {created}")
        deadline = time.monotonic() + 60
        while Batch.objects.get(pk=created["id"]).status != BatchStatus.RUNNING:
            if time.monotonic() > deadline:
                raise CommandError("the batch did not start running within 60 s")
            time.sleep(0.1)
        return created["id"]

    def _cancel(self, batch_id: str) -> None:
        batch = Batch.objects.get(pk=batch_id)
        if not batch.is_final:
            batch_cancel(batch=batch)

    def _figures(self, samples: list[float], errors: int, status: str, options: dict) -> dict:
        if not samples:
            raise CommandError(f"no poll succeeded ({errors} errors)")
        ordered = sorted(samples)
        return {
            "clients": options["clients"],
            "seconds": options["seconds"],
            "interval_s": options["interval"],
            "requests": len(samples),
            "errors": errors,
            "rps": round(len(samples) / options["seconds"], 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1),
            "batch_status_at_end": status,
            "pages": options["pages"],
            "workers": options["workers"],
            "concurrency": options["concurrency"],
            "latency_s": options["latency"],
            "ocr": options["ocr"],
            "server": " ".join(_server_command(0, options)[2:]).replace(" --bind 127.0.0.1:0", ""),
            "database": connection.vendor,
            "broker": "redis" if settings.REDIS_URL else "orm",
        }


class _Client:
    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Authorization": f"Token {self.token}"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, json.dumps(body) if body else None, headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()


def _poll(client: _Client, batch_id: str, options: dict) -> tuple[list[float], int]:
    """`--clients` threads poll until `--seconds` have passed; each keeps its own timings."""
    path = f"/api/v1/batches/{batch_id}/progress/"
    end = time.monotonic() + options["seconds"]
    samples: list[float] = []
    failures: list[int] = []

    def poller() -> None:
        time.sleep(random.uniform(0, options["interval"]))  # pollers are not in step
        while time.monotonic() < end:
            started = time.monotonic()
            try:
                status, _ = client.call("GET", path)
            except (OSError, http.client.HTTPException, ValueError):
                status = 0
            if status == 200:
                samples.append(time.monotonic() - started)  # list.append is atomic
            else:
                failures.append(status)
            time.sleep(options["interval"])

    threads = [threading.Thread(target=poller) for _ in range(options["clients"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, len(failures)


def _server_command(port: int, options: dict) -> list[str]:
    """gunicorn, as in production (README, Deployment): gthread workers."""
    return [
        *(sys.executable, "-m", "gunicorn", "config.wsgi:application"),
        *("--bind", f"127.0.0.1:{port}", "--worker-class", "gthread"),
        *("--workers", str(options["server_workers"]), "--threads", str(options["server_threads"])),
        *("--log-level", "warning"),
    ]

"""A real site for tests that talk HTTP to it: migrated, a uvicorn server (config.asgi, so
the event streams are served; started as bench_events starts it) and a worker cluster in child
processes, on one of the real stacks (tests/stacks.py), with a small client of its API."""

import contextlib
import http.client
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

from generation.bench import free_port, start_server
from generation.cluster import start_cluster, stop_cluster
from generation.management.commands.bench_events import SERVER
from tests.generation.sse import Stream
from tests.processes import manage
from tests.stacks import real_stack

OUTLINE = (
    "# 人工智能课堂\n\n## 为什么\n### 个性化\n- 个性化学习\n- 即时反馈\n### 反馈\n- 快\n- 准\n"
)
PASSWORD = "c0rrect-h0rse-9"


class Site:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def call(self, method: str, path: str, body: dict | None = None, token: str = "") -> tuple:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Token {token}"
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        status, data = response.status, response.read()
        conn.close()
        return status, json.loads(data or b"{}")

    def user(self, name: str = "") -> str:
        name = name or f"u{uuid.uuid4().hex[:10]}"
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        status, answer = self.call("POST", "/api/v1/auth/register/", body)
        assert status == 201, answer
        return answer["token"]

    def session(self, name: str) -> str:
        """Sign in on the site's sign-in page; the Cookie header of the session."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", "/review/login/")
        page = conn.getresponse()
        csrf = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie")).group(1)
        form = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.read()).group(1)
        body = urlencode({"username": name, "password": PASSWORD, "csrfmiddlewaretoken": form})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
        }
        conn.request("POST", "/review/login/", body, headers)
        signed_in = conn.getresponse()
        assert signed_in.status == 302
        conn.close()
        return "sessionid=" + re.search(
            r"sessionid=([^;]+)", signed_in.getheader("Set-Cookie")
        ).group(1)

    def deck(self, token: str, outline: str = OUTLINE, **options) -> str:
        body = {
            "outline": outline,
            "template": "education",
            "options": {"language": "zh", **options},
        }
        status, answer = self.call("POST", "/api/v1/batches/", body, token)
        assert status == 201, answer
        return answer["id"]

    def wait_for_status(self, batch_id: str, token: str, status: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.call("GET", f"/api/v1/batches/{batch_id}/", token=token)[1]["status"] != (
            status
        ):
            assert time.monotonic() < deadline, f"the batch was not {status} within {timeout} s"
            time.sleep(0.2)

    def stream(self, path: str, **kwargs) -> Stream:
        return Stream(self.port, path, **kwargs)


@contextlib.contextmanager
def live_site(
    kind: str, folder: Path, label: str, redis_url: str = "", **env: str
) -> Iterator[Site]:
    """The site on stack `kind` (`redis_url`: the Redis database its workers and streams
    share), with everyone's sign-up credits and registrations unthrottled; `env` added."""
    with real_stack(
        kind,
        folder,
        label,
        OCR_ENABLED="0",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1",
        SIGNUP_CREDITS="1000",
        THROTTLE_REGISTER="1000/hour",
        **env,
    ) as (found, _db):
        if redis_url and "REDIS_URL" in found:
            found["REDIS_URL"] = redis_url
        manage(found, "migrate", "--noinput", "-v", "0")
        manage(found, "load_starter_templates")
        port = free_port()
        server = start_server([*SERVER, "--port", str(port)], found, port, folder / "processes.log")
        cluster = start_cluster(found, folder / "processes.log")
        try:
            yield Site(port)
        finally:
            stop_cluster(cluster)
            server.terminate()
            server.wait(timeout=15)

"""A real loopback HTTP server that answers from a per-test script and records what it got."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from generation.providers.base import ErrorKind, ProviderError
from generation.providers.gemini import GeminiProvider

API_KEY = "test-key-7f3a9c1e5b"
# The Gemini models of the fixtures below (test_gemini_*.py).
IMAGE_MODEL = "gemini-3-pro-image"
TEXT_MODEL = "gemini-3.8-flash"


def gemini_settings(server: Loopback) -> dict:
    """PROVIDER_SETTINGS["gemini"] pointing at the loopback server, with the default models."""
    return {
        "api_key": API_KEY,
        "base_url": server.url,
        "image_model": "gemini-3-pro-image",
        "text_model": "gemini-3.8-flash",
    }


def remote_provider_settings(server: Loopback) -> dict:
    """PROVIDER_SETTINGS for gemini, openai and kie, all pointing at the loopback server."""
    return {
        "gemini": gemini_settings(server),
        "openai": {
            "api_key": API_KEY,
            "base_url": server.url,
            "image_model": "gpt-image-1",
            "text_model": "gpt-4.1-mini",
        },
        "kie": {
            "api_key": API_KEY,
            "base_url": server.url,
            "image_model": "nano-banana-pro",
            "edit_model": "google/nano-banana-edit",
            "webhook_secret": "whsec-test-51c0",
        },
    }


@dataclass
class Received:
    method: str
    path: str
    headers: Message
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


# A scripted answer: (status, headers, body); a dict or list body is sent as JSON.
Answer = tuple[int, dict[str, str], bytes | str | dict | list]
Script = Callable[[Received], Answer]


class Loopback:
    def __init__(self, url: str) -> None:
        self.url = url
        self.received: list[Received] = []
        self._answers: list[Answer | Script] = []
        self._lock = threading.Lock()

    def script(self, *answers: Answer | Script) -> None:
        """Answer the next requests in order, one scripted answer (or callable) each."""
        self._answers = list(answers)

    def answer(self, request: Received) -> Answer:
        with self._lock:
            self.received.append(request)
            if not self._answers:
                return 599, {}, {"error": {"message": "the test scripted no more answers"}}
            answer = self._answers.pop(0)
        return answer(request) if callable(answer) else answer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Received(self.command, self.path, self.headers, self.rfile.read(length))
        status, headers, body = self.server.loopback.answer(request)
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **headers}
        elif isinstance(body, str):
            body = body.encode()
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read what the server received instead."""


@pytest.fixture
def server() -> Iterator[Loopback]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    httpd.loopback = Loopback(f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield httpd.loopback
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def png(size: tuple[int, int] = (32, 18), color: str = "#3366cc") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _provider_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture the providers' log lines, so that tests can check no key is ever logged."""
    caplog.set_level(logging.INFO, logger="nanodeck.providers")


def assert_no_key(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    assert API_KEY not in str(error)
    assert API_KEY not in caplog.text


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raises(
    kind: ErrorKind, call: Callable[[], object], caplog: pytest.LogCaptureFixture
) -> ProviderError:
    """The ProviderError `call` raises, checked for its kind and for the key staying secret."""
    with pytest.raises(ProviderError) as caught:
        call()
    assert caught.value.kind == kind
    assert_no_key(caught.value, caplog)
    return caught.value


# The Gemini provider against the loopback server (test_gemini_*.py; other modules here define
# their own `configure` and `provider`).


@pytest.fixture
def configure(server, settings):
    def configure(*, timeout: float = 2, api_key: str = API_KEY, base_url: str = "") -> None:
        settings.PROVIDER_SETTINGS = {
            "gemini": {
                "api_key": api_key,
                "base_url": base_url or server.url,
                "image_model": IMAGE_MODEL,
                "text_model": TEXT_MODEL,
            }
        }
        settings.PROVIDER_TIMEOUT_SECONDS = timeout

    return configure


@pytest.fixture
def provider(configure) -> GeminiProvider:
    configure()
    return GeminiProvider()

"""What the web app's tests share: a user, a client signed in as them, an active template,
pictures to upload."""

import io
import threading
from collections.abc import Callable, Iterable, Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.factories import SlideTemplateFactory, UserFactory


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def template():
    return SlideTemplateFactory(
        slug="warm",
        name="Warm",
        description="Warm editorial pages",
        palette=["#fbf7f0", "#1f3a5f", "#e07a24"],
    )


def picture(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (30, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def server_lock(live_server) -> Iterator[threading.Lock]:
    """A lock the live server takes for each whole request. The live server shares this
    thread's in-memory SQLite database, whose shared cache refuses ("table is locked") a write
    while another connection reads, and a browser's request may reach the server at any time:
    the test holds the lock around its own database work instead of counting on timing.

    Event streams are refused (503): the threaded WSGI server would hold one open, and the
    lock with it, until its batch completes. The pages then follow by polling, their fallback;
    test_live_browser.py follows the real stream served by uvicorn."""
    lock = threading.Lock()
    httpd = live_server.thread.httpd
    app = httpd.get_app()

    def serialized(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ["PATH_INFO"].endswith("/events/"):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no event stream on the test server"]
        with lock:
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()

    httpd.set_app(serialized)
    try:
        yield lock
    finally:
        httpd.set_app(app)

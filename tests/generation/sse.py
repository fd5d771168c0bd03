"""A small client of text/event-stream over a real HTTP connection, for the event tests."""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass


@dataclass
class Event:
    name: str  # "ping" for a comment line
    data: dict
    id: str = ""


class Stream:
    """GET an event stream; `events()` yields each event (and heartbeat comment) as it comes,
    until the server ends the stream or `timeout` seconds pass."""

    def __init__(
        self, port: int, path: str, *, token: str = "", cookie: str = "", last_event_id: str = ""
    ) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Accept": "text/event-stream"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if cookie:
            headers["Cookie"] = cookie
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", path, headers=headers)
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.ended = False

    def json(self) -> dict:
        return json.loads(self.response.read())

    def events(self, *, timeout: float = 60):
        deadline = time.monotonic() + timeout
        fields: dict[str, str] = {}
        while time.monotonic() < deadline:
            line = self.response.readline()
            if not line:
                self.ended = True
                return
            text = line.decode().rstrip("\n")
            if text.startswith(":"):
                yield Event("ping", {})
            elif text:
                key, _, value = text.partition(": ")
                fields[key] = value
            elif "event" in fields:
                yield Event(fields["event"], json.loads(fields["data"]), fields.get("id", ""))
                fields = {}
            else:
                fields = {}  # the retry field
        raise TimeoutError(f"the stream went on for more than {timeout} s")

    def until_end(self, *, timeout: float = 60) -> list[Event]:
        return [event for event in self.events(timeout=timeout) if event.name != "ping"]

    def close(self) -> None:
        self.conn.close()

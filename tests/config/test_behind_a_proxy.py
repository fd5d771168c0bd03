"""Client addresses behind the README's deployment: uvicorn with `--proxy-headers` and
`--forwarded-allow-ips` naming the proxy. The sign-up throttle (THROTTLE_REGISTER, per client
address) counts the address the named proxy forwards, not the proxy's own; a client that is
not the named proxy cannot pick its address with X-Forwarded-For, so it cannot step around the
throttle by sending a new one with each sign-up."""

import contextlib
import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from generation.bench import free_port, start_server
from generation.management.commands.bench_events import SERVER
from tests.api_errors import error_of
from tests.processes import manage
from tests.stacks import real_stack

REGISTER = "/api/v1/auth/register/"


def sign_up(port: int, name: str, forwarded_for: str) -> int:
    body = {"username": name, "email": f"{name}@example.com", "password": "plum-blossom-4821"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "X-Forwarded-For": forwarded_for}
    conn.request("POST", REGISTER, json.dumps(body), headers)
    status = conn.getresponse().status
    conn.close()
    return status


@contextlib.contextmanager
def site(tmp_path: Path, proxy: str) -> Iterator[int]:
    """uvicorn as deployed, trusting forwarded addresses from `proxy` only; two sign-ups an
    hour per address."""
    with real_stack(
        "sqlite", tmp_path, "proxy", THROTTLE_REGISTER="2/hour", LOG_LEVEL="WARNING"
    ) as (env, _db):
        manage(env, "migrate", "--noinput", "-v", "0")
        port = free_port()
        command = [*SERVER, "--port", str(port), "--proxy-headers"]
        server = start_server(
            [*command, "--forwarded-allow-ips", proxy], env, port, tmp_path / "server.log"
        )
        try:
            yield port
        finally:
            server.terminate()
            server.wait(timeout=15)


@pytest.mark.slow
def test_behind_the_named_proxy_each_forwarded_client_has_its_own_sign_up_budget(tmp_path):
    with site(tmp_path, proxy="127.0.0.1") as port:
        first = [sign_up(port, f"ada{n}", "203.0.113.7") for n in range(3)]
        other = sign_up(port, "bo", "198.51.100.4")

    assert first == [201, 201, 429]
    assert other == 201


@pytest.mark.slow
def test_a_client_that_is_not_the_proxy_cannot_choose_its_address(tmp_path):
    with site(tmp_path, proxy="10.9.8.7") as port:  # we, at 127.0.0.1, are not that proxy
        statuses = [sign_up(port, f"eve{n}", f"203.0.113.{n}") for n in range(3)]

    assert statuses == [201, 201, 429]


@pytest.mark.django_db
def test_a_forwarded_for_header_does_not_name_the_client_to_the_throttle(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "register": "2/hour"}
    client = APIClient()
    statuses = [
        client.post(
            REGISTER,
            {"username": f"eve{n}", "email": f"eve{n}@x.org", "password": "plum-blossom-4821"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
        for n in range(3)
    ]

    assert [response.status_code for response in statuses[:2]] == [201, 201]
    assert error_of(statuses[2], 429)["code"] == "throttled"

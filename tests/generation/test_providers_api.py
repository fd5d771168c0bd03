"""Provider health: limits, circuit breaker and recent calls, over the API and in the admin."""

from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from generation.models import ProviderGate, StepRun
from generation.providers.health import provider_health
from tests.factories import UserFactory, make_batch
from tests.generation.batch_api import error_of, token_client

pytestmark = pytest.mark.django_db

PROVIDERS = "/api/v1/providers/"
ADMIN_PAGE = "/admin/generation/providergate/"
attempts = count(1)


@pytest.fixture(autouse=True)
def _no_keys(settings):
    """Only local is offered unless a test sets a key; no rate limits unless a test sets one."""
    settings.PROVIDER_SETTINGS = {
        name: {**config, "api_key": ""} for name, config in settings.PROVIDER_SETTINGS.items()
    }
    settings.NANODECK = {**settings.NANODECK, "BENCHMARK_PROVIDERS": False, "PROVIDER_RPM": {}}


@pytest.fixture
def gemini_key(settings):
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "gemini": {**settings.PROVIDER_SETTINGS["gemini"], "api_key": "k"},
    }


@pytest.fixture
def batch():
    return make_batch()


def step_run(batch, *, provider: str = "local", ago: timedelta = timedelta(minutes=5), **fields):
    now = timezone.now()
    return StepRun.objects.create(
        batch=batch,
        step="render",
        attempt=next(attempts),
        threshold=7,
        provider=provider,
        started_at=now - ago,
        finished_at=now - ago,
        **fields,
    )


def entry(name: str) -> dict:
    return next(row for row in provider_health() if row["name"] == name)


def test_percentiles_success_rate_errors_and_cost_come_from_the_windows_calls(batch):
    for latency in range(100, 2100, 100):  # 20 calls: 100 ... 2000 ms
        step_run(batch, latency_ms=latency, cost_usd=0.01)
    step_run(batch, latency_ms=5000, error_kind="transient")
    step_run(batch, latency_ms=6000, error_kind="transient")
    step_run(batch, latency_ms=7000, error_kind="auth")
    step_run(batch, latency_ms=9999, cache_hit=True)
    step_run(batch, latency_ms=9999, ago=timedelta(hours=2))
    step_run(batch, provider="gemini", latency_ms=9999)

    local = entry("local")

    assert local["calls"] == 23
    assert local["success_rate"] == pytest.approx(20 / 23)
    assert local["latency_ms_p50"] == 1200  # rank ceil(0.5 * 23) = 12
    assert local["latency_ms_p95"] == 6000  # rank ceil(0.95 * 23) = 22
    assert local["errors"] == {"transient": 2, "auth": 1}
    assert local["cost_usd"] == pytest.approx(0.2)


def test_a_provider_without_calls_has_no_rates_and_a_closed_circuit():
    local = entry("local")

    assert local["calls"] == 0
    assert local["success_rate"] is None
    assert local["latency_ms_p50"] is local["latency_ms_p95"] is None
    assert local["errors"] == {}
    assert local["cost_usd"] == 0
    assert local["circuit"] == "closed"
    assert local["open_until"] is None


def test_a_wider_window_counts_older_calls(batch):
    step_run(batch, latency_ms=300, ago=timedelta(hours=2))

    assert provider_health(window=timedelta(hours=3))[0]["latency_ms_p50"] == 300


def test_the_circuit_state_follows_the_gate(settings):
    settings.NANODECK = {**settings.NANODECK, "BENCHMARK_PROVIDERS": True}
    now = timezone.now()
    ProviderGate.objects.create(provider="local", open_until=now + timedelta(seconds=30))
    ProviderGate.objects.create(
        provider="latency",
        open_until=now - timedelta(seconds=1),
        probe_until=now + timedelta(seconds=60),
    )

    assert entry("local")["circuit"] == "open"
    assert entry("local")["open_until"] == ProviderGate.objects.get(provider="local").open_until
    assert entry("latency")["circuit"] == "half_open"
    ProviderGate.objects.filter(provider="latency").update(probe_until=None)
    assert entry("latency")["circuit"] == "half_open"  # cooled down: the next call probes
    ProviderGate.objects.filter(provider="latency").update(open_until=None, failures=2)
    assert entry("latency")["circuit"] == "closed"


def test_limits_and_models_come_from_settings_and_the_provider(settings, gemini_key):
    settings.NANODECK = {
        **settings.NANODECK,
        "PROVIDER_CONCURRENCY": {"gemini": 2},
        "PROVIDER_RPM": {"gemini": 10},
    }

    gemini = entry("gemini")

    assert gemini["configured"] is True
    assert (gemini["usable"], gemini["hint"]) == (True, None)
    # the configured model first, then the others Google still serves (no 2.5 Flash Image:
    # shut down on 2026-10-02)
    assert gemini["models"] == [
        "gemini-3-pro-image",
        "gemini-3.1-flash-image",
        "gemini-3.1-flash-lite-image",
        "gemini-nano-banana-2.1",
    ]
    assert gemini["concurrency_limit"] == 2
    assert gemini["requests_per_minute"] == 10
    assert entry("local")["requests_per_minute"] is None


def test_remote_providers_without_a_key_are_listed_with_what_to_set(gemini_key):
    health = provider_health()

    assert [row["name"] for row in health] == ["gemini", "local", "kie", "openai"]
    openai = health[3]
    assert openai["configured"] is False
    assert openai["hint"] == "set OPENAI_API_KEY"
    assert openai["models"] == []


def test_the_figures_take_a_few_queries(batch, django_assert_max_num_queries):
    step_run(batch, latency_ms=100, error_kind="transient")

    with django_assert_max_num_queries(4):
        provider_health()


def test_a_token_user_gets_every_provider(batch):
    step_run(batch, latency_ms=250, cost_usd=0.04)

    response = token_client(UserFactory()).get(PROVIDERS)

    assert response.status_code == 200
    providers = response.json()["providers"]
    assert [p["name"] for p in providers] == ["local", "gemini", "kie", "openai"]
    assert providers[0] == {
        "name": "local",
        "configured": True,
        "usable": True,
        "hint": None,
        "models": ["nanodeck-local-1"],
        "concurrency_limit": 5,
        "requests_per_minute": None,
        "circuit": "closed",
        "open_until": None,
        "calls": 1,
        "success_rate": 1.0,
        "latency_ms_p50": 250,
        "latency_ms_p95": 250,
        "errors": {},
        "cost_usd": 0.04,
    }
    assert providers[1]["hint"] == "set GEMINI_API_KEY"


def test_anonymous_requests_get_401_in_the_error_shape():
    response = APIClient().get(PROVIDERS)

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_the_admin_page_shows_every_provider_to_staff(admin_client, batch):
    step_run(batch, latency_ms=420, error_kind="content_blocked")
    ProviderGate.objects.create(provider="local", open_until=timezone.now() + timedelta(minutes=1))

    response = admin_client.get(ADMIN_PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Providers</h1>" in html
    assert "no: set GEMINI_API_KEY" in html
    assert "content_blocked: 1" in html
    assert '<td class="circuit-open">open</td>' in html
    assert "Reset circuit" in html
    assert 'href="/admin/generation/providergate/"' in admin_client.get("/admin/").content.decode()


def test_the_admin_page_is_for_staff_only(client):
    client.force_login(UserFactory())

    response = client.get(ADMIN_PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_reset_action_closes_a_circuit(admin_client):
    gate = ProviderGate.objects.create(
        provider="local",
        failures=5,
        open_until=timezone.now() + timedelta(minutes=1),
        probe_until=timezone.now(),
    )

    response = admin_client.post(
        ADMIN_PAGE, {"action": "reset_circuit", "_selected_action": [gate.pk]}
    )

    assert response.status_code == 302
    gate.refresh_from_db()
    assert (gate.failures, gate.open_until, gate.probe_until) == (0, None, None)
    assert entry("local")["circuit"] == "closed"

"""Hedged render calls through the API: the option (off by default, a default per provider,
checked), the delay from the provider's recent calls, and both calls billed and shown."""

import pytest
from django.utils import timezone

from generation.models import StepRun
from generation.selectors import hedge_delay
from generation.services.batches import batch_run
from tests.factories import SlideTemplateFactory, make_batch

SHORT_OUTLINE = "# Short deck\n\n### One\n- a\n- b\n\n### Two\n- c\n- d\n"


@pytest.fixture
def latency(settings):
    """The benchmark provider waiting 0.3 s a call; a duplicate is due after 0.02 s (the
    prior: no provider history is ever enough here)."""
    settings.NANODECK = {
        **settings.NANODECK,
        "BENCHMARK_PROVIDERS": True,
        "LATENCY_PROVIDER_SECONDS": 0.3,
        "LATENCY_PROVIDER_P95": 0.0,
        "LATENCY_PROVIDER_STUCK_RATE": 0.0,
        "PROVIDER_CONCURRENCY": {"latency": 10},
        "HEDGE_PRIOR_SECONDS": 0.02,
        "HEDGE_MIN_HISTORY": 1000,
        "OCR_ENABLED": False,
    }


def create(api, **options):
    template = SlideTemplateFactory()
    body = {"outline": SHORT_OUTLINE, "template": template.slug, "options": options}
    return api.post("/api/v1/batches/", body, format="json")


@pytest.mark.django_db(transaction=True)  # hedged calls run in threads
def test_a_hedged_deck_bills_both_calls_and_the_api_shows_them(api, user, latency):
    batch = batch_run(
        batch=make_batch(
            owner=user, outline=SHORT_OUTLINE, options={"provider": "latency", "hedge": True}
        )
    )
    pages = batch.pages.count()

    progress = api.get(f"/api/v1/batches/{batch.pk}/progress/").json()
    page = api.get(f"/api/v1/pages/{batch.pages.get(index=2).pk}/").json()

    render = next(run for run in page["step_runs"] if run["step"] == "render")
    assert render["hedged"] is True
    assert render["hedge_after_ms"] == 20
    assert render["hedge_cost_usd"] > 0
    assert render["cost_usd"] == pytest.approx(2 * render["hedge_cost_usd"])
    assert 290 <= render["call_ms"] < 2000
    assert progress["hedges"]["calls"] == pages
    assert progress["hedges"]["cost_usd"] == pytest.approx(progress["cost_usd"] / 2, abs=1e-3)
    assert api.get(f"/api/v1/batches/{batch.pk}/").json()["options"]["hedge"] is True


@pytest.mark.django_db
def test_hedging_is_off_by_default_and_calls_still_record_their_own_time(api, user, latency):
    settings_latency = 0.3
    batch = batch_run(
        batch=make_batch(owner=user, outline=SHORT_OUTLINE, options={"provider": "latency"})
    )

    progress = api.get(f"/api/v1/batches/{batch.pk}/progress/").json()
    page = api.get(f"/api/v1/pages/{batch.pages.get(index=2).pk}/").json()

    render = next(run for run in page["step_runs"] if run["step"] == "render")
    assert (render["hedged"], render["hedge_after_ms"], render["hedge_cost_usd"]) == (
        False,
        None,
        0,
    )
    assert render["call_ms"] >= settings_latency * 1000 - 10
    assert "hedges" not in progress
    assert "hedge" not in api.get(f"/api/v1/batches/{batch.pk}/").json()["options"]


@pytest.mark.django_db
def test_hedge_providers_sets_the_default_and_a_batch_may_say_otherwise(api, settings):
    settings.NANODECK = {**settings.NANODECK, "HEDGE_PROVIDERS": ["local"]}

    assert create(api).json()["options"]["hedge"] is True
    assert "hedge" not in create(api, hedge=False).json()["options"]
    assert create(api, hedge=None).json()["options"]["hedge"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["true", 1, 0, [], {}])
def test_a_hedge_that_is_not_a_boolean_is_refused_by_name(api, value):
    response = create(api, hedge=value)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "hedge" in error["details"]


@pytest.mark.django_db
def test_hedging_is_refused_where_calls_answer_later(api, settings):
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "gemini": {**settings.PROVIDER_SETTINGS["gemini"], "api_key": "test-key-123"},
        "kie": {**settings.PROVIDER_SETTINGS["kie"], "api_key": "test-key-123"},
    }

    batch_api = create(api, provider="gemini", delivery="batch", hedge=True)
    kie = create(api, provider="kie", hedge=True)

    for response in (batch_api, kie):
        assert response.status_code == 400
        assert list(response.json()["error"]["details"]) == ["hedge"]
    assert create(api, provider="gemini", hedge=True).status_code == 201


def render_run(batch, call_ms: int | None, **fields) -> StepRun:
    return StepRun.objects.create(
        batch=batch,
        page=None,
        step="render",
        attempt=StepRun.objects.count() + 1,
        threshold=7,
        provider=fields.pop("provider", "gemini"),
        model="gemini-3-pro-image",
        call_ms=call_ms,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        **fields,
    )


@pytest.mark.django_db
def test_the_delay_is_the_quantile_of_the_providers_recent_successful_calls(settings):
    settings.NANODECK = {
        **settings.NANODECK,
        "HEDGE_QUANTILE": 0.9,
        "HEDGE_HISTORY": 100,
        "HEDGE_MIN_HISTORY": 20,
        "HEDGE_PRIOR_SECONDS": 45.0,
    }
    batch = make_batch()
    for ms in range(1000, 20001, 1000):  # 19 calls: too few, the prior
        if ms != 20000:
            render_run(batch, ms)
    render_run(batch, 999_000, error_kind="transient")  # failed calls do not count
    render_run(batch, 999_000, provider="openai")  # nor other providers' calls
    render_run(batch, None)  # nor attempts without a call (cache hits)
    model = "gemini-3-pro-image"

    assert hedge_delay(provider="gemini", model=model) == (45.0, "prior")
    render_run(batch, 20000)  # the 20th: 1 s … 20 s, the p90 is 18 s

    assert hedge_delay(provider="gemini", model=model) == (18.0, "history")


@pytest.mark.django_db
def test_a_provider_default_never_turns_hedging_on_where_calls_answer_later(api, settings):
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "kie": {**settings.PROVIDER_SETTINGS["kie"], "api_key": "test-key-123"},
    }
    settings.NANODECK = {**settings.NANODECK, "HEDGE_PROVIDERS": ["kie"]}

    response = create(api, provider="kie")

    assert response.status_code == 201
    assert "hedge" not in response.json()["options"]

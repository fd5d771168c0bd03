"""Which providers a batch may choose: local always, remote ones once their key is set."""

import pytest

from generation.errors import InvalidInput
from generation.options import BatchOptions
from generation.providers.registry import (
    REMOTE_PROVIDERS,
    image_provider,
    provider_names,
    text_provider,
)


@pytest.fixture
def gemini_key(settings):
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "gemini": {**settings.PROVIDER_SETTINGS["gemini"], "api_key": "test-key-123"},
    }


def test_only_the_local_provider_is_offered_without_keys(settings):
    settings.PROVIDER_SETTINGS = {
        name: {**config, "api_key": ""} for name, config in settings.PROVIDER_SETTINGS.items()
    }

    assert provider_names() == ["local"]
    with pytest.raises(
        InvalidInput, match=r"provider 'gemini' is not configured \(set GEMINI_API_KEY\)"
    ):
        BatchOptions.parse({"provider": "gemini"})


def test_a_provider_is_offered_once_its_key_is_set(gemini_key):
    assert "gemini" in provider_names()
    assert BatchOptions.parse({"provider": "gemini"}).provider == "gemini"


def test_a_batch_may_choose_another_offered_model(gemini_key):
    options = BatchOptions.parse({"provider": "gemini", "model": "gemini-3.1-flash-image"})

    assert options.model == "gemini-3.1-flash-image"
    assert (
        image_provider("gemini", "gemini-3.1-flash-image").image_model == "gemini-3.1-flash-image"
    )
    assert image_provider("gemini").image_model == "gemini-3-pro-image"  # the shared one


def test_a_model_the_provider_does_not_offer_is_refused_with_the_choices(gemini_key):
    with pytest.raises(InvalidInput, match="model 'dall-e-2' is not a known Gemini image model"):
        BatchOptions.parse({"provider": "gemini", "model": "dall-e-2"})


def test_every_provider_declares_the_models_it_calls(settings):
    settings.PROVIDER_SETTINGS = {
        name: {**config, "api_key": "test-key-123"}
        for name, config in settings.PROVIDER_SETTINGS.items()
    }
    settings.NANODECK = {**settings.NANODECK, "BENCHMARK_PROVIDERS": True}
    names = provider_names()
    assert set(REMOTE_PROVIDERS) | {"local", "latency"} <= set(names)

    declared = {
        name: (image_provider(name).image_model, image_provider(name).text_model) for name in names
    }

    config = settings.PROVIDER_SETTINGS
    assert declared == {
        "local": ("nanodeck-local-1", "nanodeck-local-1"),
        "latency": ("sleep", ""),
        "gemini": (config["gemini"]["image_model"], config["gemini"]["text_model"]),
        "openai": (config["openai"]["image_model"], config["openai"]["text_model"]),
        "kie": (config["kie"]["image_model"], ""),
    }
    for name in ("kie", "latency"):  # images only
        with pytest.raises(InvalidInput, match=f"provider '{name}' has no text model"):
            text_provider(name)

"""Providers chosen by name: a map from name to dotted path, as healthchecks does transports.

The local provider is always there; a remote provider is there when its key is set.
"""

import copy
import json
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from generation.errors import InvalidInput
from generation.providers.base import ImageProvider, TextProvider

PROVIDERS: dict[str, str] = {
    "local": "generation.providers.local.LocalProvider",
}
REMOTE_PROVIDERS: dict[str, str] = {
    "gemini": "generation.providers.gemini.GeminiProvider",
    "openai": "generation.providers.openai.OpenAIProvider",
    "kie": "generation.providers.kie.KieProvider",
}
KEY_VARIABLES = {"gemini": "GEMINI_API_KEY", "openai": "OPENAI_API_KEY", "kie": "KIE_API_KEY"}
BENCHMARK_PROVIDERS: dict[str, str] = {
    "latency": "generation.providers.latency.LatencyProvider",
}


def _paths() -> dict[str, str]:
    paths = dict(PROVIDERS)
    for name, path in REMOTE_PROVIDERS.items():
        if settings.PROVIDER_SETTINGS.get(name, {}).get("api_key"):
            paths[name] = path
    if settings.NANODECK["BENCHMARK_PROVIDERS"]:
        paths.update(BENCHMARK_PROVIDERS)
    return paths


@cache
def _load(path: str, config: str) -> object:
    """One instance per provider and configuration (`config` is only the cache key)."""
    return import_string(path)()


def _instance(name: str, model: str | None = None) -> object:
    paths = _paths()
    if name not in paths:
        if name in KEY_VARIABLES:
            raise InvalidInput(f"provider '{name}' is not configured (set {KEY_VARIABLES[name]})")
        raise InvalidInput(f"unknown provider '{name}' (available: {', '.join(sorted(paths))})")
    config = json.dumps(
        [settings.PROVIDER_SETTINGS.get(name, {}), settings.PROVIDER_TIMEOUT_SECONDS],
        sort_keys=True,
    )
    provider = _load(paths[name], config)
    if model and model != provider.image_model:
        models = available_models(provider)
        if model not in models:
            raise InvalidInput(
                f"model '{model}' is not available for {name} (available: {', '.join(models)})"
            )
        provider = copy.copy(provider)
        provider.image_model = model
    return provider


def available_models(provider: ImageProvider) -> list[str]:
    """The image models a batch may choose for this provider: the configured one first."""
    others = [m for m in provider.known_models if m != provider.image_model]
    return [provider.image_model, *others]


def image_provider(name: str, model: str | None = None) -> ImageProvider:
    return _instance(name, model)


def text_provider(name: str) -> TextProvider:
    provider = _instance(name)
    if not provider.text_model:
        raise InvalidInput(f"provider '{name}' has no text model")
    return provider


def provider_names() -> list[str]:
    return sorted(_paths())

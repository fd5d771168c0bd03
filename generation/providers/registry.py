"""Providers chosen by name: a map from name to dotted path, as healthchecks does transports."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from generation.errors import InvalidInput
from generation.providers.base import ImageProvider, TextProvider

PROVIDERS: dict[str, str] = {
    "local": "generation.providers.local.LocalProvider",
}
BENCHMARK_PROVIDERS: dict[str, str] = {
    "latency": "generation.providers.latency.LatencyProvider",
}


def _paths() -> dict[str, str]:
    if settings.NANODECK["BENCHMARK_PROVIDERS"]:
        return {**PROVIDERS, **BENCHMARK_PROVIDERS}
    return PROVIDERS


@cache
def _load(path: str) -> object:
    return import_string(path)()


def _instance(name: str) -> object:
    try:
        path = _paths()[name]
    except KeyError:
        known = ", ".join(provider_names())
        raise InvalidInput(f"unknown provider '{name}' (available: {known})") from None
    return _load(path)


def image_provider(name: str) -> ImageProvider:
    return _instance(name)


def text_provider(name: str) -> TextProvider:
    return _instance(name)


def provider_names() -> list[str]:
    return sorted(_paths())

"""Providers chosen by name: a map from name to dotted path, as healthchecks does transports."""

from functools import cache

from django.utils.module_loading import import_string

from generation.errors import InvalidInput
from generation.providers.base import ImageProvider, TextProvider

PROVIDERS: dict[str, str] = {
    "local": "generation.providers.local.LocalProvider",
}


@cache
def _instance(name: str) -> object:
    try:
        path = PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise InvalidInput(f"unknown provider '{name}' (available: {known})") from None
    return import_string(path)()


def image_provider(name: str) -> ImageProvider:
    return _instance(name)


def text_provider(name: str) -> TextProvider:
    return _instance(name)


def provider_names() -> list[str]:
    return sorted(PROVIDERS)

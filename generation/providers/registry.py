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
MODEL_VARIABLES = {
    "gemini": ("GEMINI_IMAGE_MODEL", "GEMINI_TEXT_MODEL"),
    "openai": ("OPENAI_IMAGE_MODEL", "OPENAI_TEXT_MODEL"),
    "kie": ("KIE_IMAGE_MODEL", ""),
}
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


def _instance(name: str) -> object:
    paths = _paths()
    if name not in paths:
        if name in KEY_VARIABLES:
            raise InvalidInput(f"provider '{name}' is not configured (set {KEY_VARIABLES[name]})")
        raise InvalidInput(f"unknown provider '{name}' (available: {', '.join(sorted(paths))})")
    config = json.dumps(
        [settings.PROVIDER_SETTINGS.get(name, {}), settings.PROVIDER_TIMEOUT_SECONDS],
        sort_keys=True,
    )
    return _load(paths[name], config)


def provider_instance(name: str) -> ImageProvider:
    """The offered provider by name, its models unchecked (for reading its configuration)."""
    return _instance(name)


def _model_problem(provider: ImageProvider, model: str) -> str:
    """Why `model` cannot draw for `provider` (shut down, unknown), naming the replacement."""
    check = getattr(provider, "model_problem", None)
    if check is not None:
        return check(model)
    if model == provider.image_model or model in provider.known_models:
        return ""
    return (
        f"model '{model}' is not available for {provider.name} "
        f"(available: {', '.join(available_models(provider))})"
    )


def model_problems(name: str) -> list[str]:
    """What is wrong with a configured provider's own models (the variable named), or []."""
    provider = _instance(name)
    image_variable, text_variable = MODEL_VARIABLES.get(name, ("image model", "text model"))
    problems = []
    image = _model_problem(provider, provider.image_model)
    if image:
        problems.append(f"{image_variable}: {image}")
    text_check = getattr(provider, "text_model_problem", None)
    text = text_check() if text_check is not None and provider.text_model else ""
    if text:
        problems.append(f"{text_variable}: {text}")
    return problems


def available_models(provider: ImageProvider) -> list[str]:
    """The image models a batch may choose for this provider: the configured one first (when
    it can still be used)."""
    models = [provider.image_model] if not _model_problem(provider, provider.image_model) else []
    return [*models, *(m for m in provider.known_models if m != provider.image_model)]


def image_provider(name: str, model: str | None = None) -> ImageProvider:
    """The provider drawing with `model` (its configured model when None); a shut-down or
    unknown model is refused here, before any call, naming what to use instead."""
    provider = _instance(name)
    if model and model != provider.image_model:
        problem = _model_problem(provider, model)
        if problem:
            raise InvalidInput(problem)
        provider = copy.copy(provider)
        provider.image_model = model
        return provider
    problem = _model_problem(provider, provider.image_model)
    if problem:
        variable = MODEL_VARIABLES.get(name, ("the image model",))[0]
        raise InvalidInput(problem if model else f"{variable}: {problem}")
    return provider


def text_provider(name: str) -> TextProvider:
    provider = _instance(name)
    if not provider.text_model:
        raise InvalidInput(f"provider '{name}' has no text model")
    check = getattr(provider, "text_model_problem", None)
    problem = check() if check is not None else ""
    if problem:
        variable = MODEL_VARIABLES.get(name, ("", "the text model"))[1]
        raise InvalidInput(f"{variable}: {problem}")
    return provider


def provider_names() -> list[str]:
    return sorted(_paths())

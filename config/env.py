"""The one place that reads the environment. Bad values fail loudly at start-up."""

import json
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_map_int(name: str, default: dict[str, int]) -> dict[str, int]:
    """'a=1,b=2' -> {'a': 1, 'b': 2}; every value a positive integer."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    result = {}
    for part in raw.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip().isdigit() or int(value) < 1:
            raise ImproperlyConfigured(f"{name} must look like 'local=5,gemini=3', got {raw!r}")
        result[key.strip()] = int(value)
    return result


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_json(name: str, default: dict) -> dict:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"{name} must be a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object, got {type(value).__name__}")
    return value


CREDIT_COST_DEFAULTS = {"image_1K": 1, "image_2K": 2, "image_4K": 4, "deck_page": 1}


def env_credit_costs(name: str) -> dict[str, int]:
    """Prices in credits, JSON over the defaults: '{"deck_page": 2}'. Every key is one of
    CREDIT_COST_DEFAULTS' and every value a whole number from 0."""
    costs = {**CREDIT_COST_DEFAULTS, **env_json(name, {})}
    for key, value in costs.items():
        if key not in CREDIT_COST_DEFAULTS:
            known = ", ".join(CREDIT_COST_DEFAULTS)
            raise ImproperlyConfigured(f"{name}: unknown price {key!r} (known: {known})")
        if type(value) is not int or value < 0:
            raise ImproperlyConfigured(
                f"{name}: {key} must be a whole number from 0, got {value!r}"
            )
    return costs

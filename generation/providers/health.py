"""How each image provider is doing: its limits, its circuit breaker and its recent calls.

Read by the API (`GET /api/v1/providers/`) and the admin's provider page; both show the same
figures. Remote providers without a key are listed too, with the variable to set.
"""

import logging
import math
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from generation.models import ProviderGate, StepRun
from generation.providers.gate import concurrency_limit
from generation.providers.registry import (
    KEY_VARIABLES,
    REMOTE_PROVIDERS,
    available_models,
    model_problems,
    provider_instance,
    provider_names,
)

logger = logging.getLogger("nanodeck.providers")


def _percentile(ordered: list[int], share: float) -> int | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not ordered:
        return None
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def _circuit(gate: ProviderGate | None, now: datetime) -> str:
    """Closed; open until the cooldown ends; then half-open, until a probe call closes it."""
    if gate is None or gate.open_until is None:
        return "closed"
    return "open" if gate.open_until > now else "half_open"


def provider_health(*, window: timedelta = timedelta(hours=1)) -> list[dict]:
    """One entry per offered provider, then one per remote provider that has no key."""
    offered = provider_names()
    missing = sorted(set(REMOTE_PROVIDERS) - set(offered))
    names = [*offered, *missing]
    now = timezone.now()
    calls = StepRun.objects.filter(
        provider__in=names, finished_at__gte=now - window, cache_hit=False
    )
    totals = {
        row["provider"]: row
        for row in calls.values("provider").annotate(
            calls=Count("id"), ok=Count("id", filter=Q(error_kind="")), cost=Sum("cost_usd")
        )
    }
    errors: dict[str, dict[str, int]] = defaultdict(dict)
    by_kind = calls.exclude(error_kind="").values("provider", "error_kind").annotate(n=Count("id"))
    for row in by_kind:
        errors[row["provider"]][row["error_kind"]] = row["n"]
    latencies: dict[str, list[int]] = defaultdict(list)
    for provider, latency in calls.order_by("latency_ms").values_list("provider", "latency_ms"):
        latencies[provider].append(latency)
    gates = {gate.provider: gate for gate in ProviderGate.objects.filter(provider__in=names)}

    entries = []
    for name in names:
        configured = name in offered
        total = totals.get(name, {"calls": 0, "ok": 0, "cost": 0.0})
        gate = gates.get(name)
        problems = model_problems(name) if configured else []
        entries.append(
            {
                "name": name,
                "configured": configured,
                "usable": configured and not problems,
                "hint": _hint(name, configured, problems),
                "models": available_models(provider_instance(name)) if configured else [],
                "concurrency_limit": concurrency_limit(name),
                "requests_per_minute": settings.NANODECK["PROVIDER_RPM"].get(name) or None,
                "circuit": _circuit(gate, now),
                "open_until": gate.open_until if gate else None,
                "calls": total["calls"],
                "success_rate": total["ok"] / total["calls"] if total["calls"] else None,
                "latency_ms_p50": _percentile(latencies[name], 0.5),
                "latency_ms_p95": _percentile(latencies[name], 0.95),
                "errors": errors[name],
                "cost_usd": total["cost"] or 0.0,
            }
        )
    return entries


def _hint(name: str, configured: bool, problems: list[str]) -> str | None:
    """What to set to offer the provider, or why its configured models cannot be used (with
    the replacement); None when all is well."""
    if not configured:
        return f"set {KEY_VARIABLES[name]}"
    return "; ".join(problems) or None


def circuit_reset(*, gates: QuerySet[ProviderGate]) -> int:
    """Close these circuits at once (an operator knows the provider is back); returns how many."""
    providers = sorted(gates.values_list("provider", flat=True))
    closed = gates.update(failures=0, open_until=None, probe_until=None)
    logger.info("circuit_reset providers=%s", ",".join(providers))
    return closed

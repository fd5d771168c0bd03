"""Reads: a batch's progress, its spend so far and its ETA; attempts waiting for a provider.

Nothing here writes; the services (generation/services/) change state.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from generation.models import PAGE_STEPS, Batch, BatchApiRequest, Page, PageStatus, Step, StepRun
from generation.providers.gate import concurrency_limit


def batch_progress(*, batch: Batch) -> dict:
    """Counts, percentage, per-step counts and an ETA from the moving average of page times.

    The counts come from the batch's counters row (kept by database triggers, see
    BatchCounters): polling reads one row however large the batch, plus the ETA's few pages.
    """
    counts = batch.counters
    total = sum(getattr(counts, status) for status in PageStatus.values)
    done = counts.completed + counts.failed + counts.cancelled
    steps = {
        name: {
            "done": getattr(counts, f"{name}_done"),
            "running": getattr(counts, f"{name}_running"),
        }
        for name in PAGE_STEPS
    }
    progress = {
        "status": batch.status,
        "total": total,
        "completed": counts.completed,
        "failed": counts.failed,
        "running": counts.running,
        "held": counts.held,
        "waiting_for_provider": counts.waiting,
        "pending": counts.pending,
        "percentage": round(100 * done / total, 1) if total else 0.0,
        "steps": steps,
        "eta_seconds": _eta(batch, remaining=total - done) if not batch.is_final else 0,
        "cost_usd": round(counts.cost_usd, 4),
        "budget_usd": batch.opts.budget_usd,
    }
    if batch.opts.delivery == "batch":
        progress["provider_jobs"] = batch_api_jobs(batch=batch)
    if batch.opts.hedge:
        progress["hedges"] = batch_hedges(batch=batch)
    return progress


def with_render_stats(pages: QuerySet[Page]) -> QuerySet[Page]:
    """`pages` annotated with `attempts` (render attempts) and `score` (the selected render's
    auto score), in the same query."""
    selected_render = StepRun.objects.selected().filter(page=OuterRef("pk"), step=Step.RENDER)
    return pages.annotate(
        attempts=Count("step_runs", filter=Q(step_runs__step=Step.RENDER)),
        score=Subquery(selected_render.values("score")[:1]),
    )


def batch_api_jobs(*, batch: Batch) -> list[dict]:
    """The batch's Gemini Batch API jobs, oldest first: name, state (BATCH_STATE_…) and how
    many render requests each carries; requests not sent yet are one entry with no name and
    the state "gathering"."""
    rows = (
        BatchApiRequest.objects.filter(batch=batch)
        .values("job_name", "job_state")
        .annotate(requests=Count("pk"))
        .order_by("job_name")
    )
    jobs = [
        {"name": row["job_name"], "state": row["job_state"], "requests": row["requests"]}
        for row in rows
        if row["job_name"]
    ]
    gathering = sum(row["requests"] for row in rows if not row["job_name"])
    if gathering:
        jobs.append({"name": "", "state": "gathering", "requests": gathering})
    return jobs


def _eta(batch: Batch, *, remaining: int) -> float | None:
    """Seconds left: the average time of the last 10 completed pages, per round of pages run
    in parallel; None before any page has completed."""
    if not remaining:
        return 0
    recent = list(
        batch.pages.filter(
            status=PageStatus.COMPLETED, started_at__isnull=False, finished_at__isnull=False
        )
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[:10]
    )
    if not recent:
        return None
    average = sum((finished - started).total_seconds() for started, finished in recent) / len(
        recent
    )
    parallel = max(1, min(concurrency_limit(batch.opts.provider), settings.Q_CLUSTER["workers"]))
    return round(average * math.ceil(remaining / parallel), 1)


def batch_cost(*, batch: Batch) -> float:
    """Estimated spend of the batch so far (USD), from its step runs."""
    return round(
        StepRun.objects.filter(batch=batch).aggregate(total=Sum("cost_usd"))["total"] or 0.0, 4
    )


def hedge_delay(*, provider: str, model: str) -> tuple[float, str]:
    """Seconds after which a call of `provider`'s `model` gets a hedged duplicate: the
    HEDGE_QUANTILE of its last HEDGE_HISTORY successful calls' own times ("history"), or
    HEDGE_PRIOR_SECONDS ("prior") while fewer than HEDGE_MIN_HISTORY calls are known."""
    config = settings.NANODECK
    times = sorted(
        StepRun.objects.filter(
            provider=provider, model=model, step="render", error_kind="", call_ms__isnull=False
        )
        .order_by("-finished_at")
        .values_list("call_ms", flat=True)[: config["HEDGE_HISTORY"]]
    )
    if len(times) < config["HEDGE_MIN_HISTORY"]:
        return config["HEDGE_PRIOR_SECONDS"], "prior"
    quantile = min(config["HEDGE_QUANTILE"], 1.0)
    return times[math.ceil(quantile * len(times)) - 1] / 1000, "history"


def batch_hedges(*, batch: Batch) -> dict:
    """The batch's hedged render calls: how many, how many answered first, their price."""
    totals = StepRun.objects.filter(batch=batch, hedged=True).aggregate(
        n=Count("pk"), won=Count("pk", filter=Q(hedge_won=True)), cost=Sum("hedge_cost_usd")
    )
    return {
        "calls": totals["n"],
        "won": totals["won"],
        "cost_usd": round(totals["cost"] or 0.0, 4),
    }


def attempts_pending(*, provider: str, older_than: timedelta) -> list[StepRun]:
    """Attempts still waiting for an asynchronous provider after `older_than`: to be polled."""
    cutoff = timezone.now() - older_than
    return list(
        StepRun.objects.filter(provider=provider, external_state="pending", started_at__lt=cutoff)
    )


def page_versions(*, page: Page) -> list[StepRun]:
    """Every image the page's render step made (its versions), oldest first, failed attempts
    left out; each carries `thumbnail_name`: the thumbnail the finish step made of it when it
    was the page's image, else ""."""
    renders = list(
        StepRun.objects.filter(page=page, step=Step.RENDER, error_kind="")
        .exclude(output_image="")
        .defer("output_data", "metrics")
        .order_by("started_at", "pk")
    )
    thumbnails = {
        run.output_data.get("image"): run.output_image.name
        for run in StepRun.objects.filter(page=page, step=Step.FINISH).exclude(output_image="")
    }
    for run in renders:
        run.thumbnail_name = thumbnails.get(run.output_image.name, "")
    return renders

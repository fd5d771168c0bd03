"""The review site for evaluators: the queue, the next item and the keyboard-first item page.

Thin views: parse (a form), call one service of review.services, render or redirect. Every
page is for signed-in evaluators; a signed-in user who is not one gets a 403 page.
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from generation.errors import BrokerUnavailable, Conflict, InvalidInput
from generation.models import Step
from review.models import Criterion, Evaluation, ReviewItem, ReviewReason
from review.permissions import is_evaluator
from review.presentation import content_language, item_body, metric_rows
from review.services import evaluation_submit, review_next, review_skip
from review.site.forms import EvaluationForm, StepForm


def evaluator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users go to the login page; signed-in users who are not evaluators get 403."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not is_evaluator(request.user):
            return render(request, "review/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return login_required(guarded, login_url="review_ui:login")


# Helpers


def _step_param(request: HttpRequest) -> str | None:
    """The step under review from ?step= ("" for every step), None when it names no step."""
    form = StepForm(request.GET)
    return form.cleaned_data["step"] if form.is_valid() else None


def _with_step(url: str, step: str) -> str:
    return f"{url}?{urlencode({'step': step})}" if step else url


def _next_url(step: str) -> str:
    return _with_step(reverse("review_ui:next"), step)


def _relative(url: str) -> str:
    return url


def _queue_rows(counts: list[tuple[str, str, int]]) -> list[dict]:
    """One row per step with open items: counts per reason (in ReviewReason order) and total."""
    per_step: dict[str, dict[str, int]] = {}
    for step, reason, count in counts:
        per_step.setdefault(step, dict.fromkeys(ReviewReason.values, 0))[reason] = count
    return [
        {
            "step": step,
            "label": label,
            "counts": list(per_step[step].values()),
            "total": sum(per_step[step].values()),
        }
        for step, label in Step.choices
        if step in per_step
    ]


def _body(request: HttpRequest, item: ReviewItem) -> dict:
    return item_body(item, request.user, _relative)


def _lease_live(body: dict) -> bool:
    lease = body["lease_expires_at"]
    return lease is not None and lease > timezone.now()


def _item_page(
    request: HttpRequest,
    item: ReviewItem,
    body: dict,
    form: EvaluationForm,
    step: str,
    status: int = 200,
) -> HttpResponse:
    context = {
        "item": item,
        "body": body,
        "form": form,
        "step": step,
        "lang": content_language(item),
        "lease_live": _lease_live(body),
        "metrics_open": item.reason != ReviewReason.SAMPLED,
        "metric_rows": metric_rows(body["auto"]["metrics"]),
        "ocr_boxes": body["auto"]["metrics"].get("ocr_boxes") or [],
        "skip_url": _with_step(reverse("review_ui:skip", args=[item.pk]), step),
        "next_url": _next_url(step),
    }
    return render(request, "review/item.html", context, status=status)


# Views


@evaluator_required
def queue(request: HttpRequest) -> HttpResponse:
    """Open items per step and reason, the evaluator's evaluations today, where to start."""
    counts = (
        ReviewItem.objects.filter(status="open")
        .order_by()
        .values_list("step", "reason")
        .annotate(count=Count("id"))
    )
    rows = _queue_rows(list(counts))
    today = Evaluation.objects.filter(
        evaluator=request.user, created_at__date=timezone.localdate()
    ).count()
    context = {
        "reasons": ReviewReason.labels,
        "rows": rows,
        "open_total": sum(row["total"] for row in rows),
        "today": today,
    }
    return render(request, "review/queue.html", context)


@evaluator_required
def next_item(request: HttpRequest) -> HttpResponse:
    """Lease the next item (of ?step=, or of any step) and show it; back to the queue if none."""
    step = _step_param(request)
    if step is None:
        messages.error(request, f"There is no step {request.GET['step']!r} to review.")
        return redirect("review_ui:queue")
    item = review_next(evaluator=request.user, step=step or None)
    if item is None:
        messages.info(request, f"Nothing left to review for {step or 'any step'}.")
        return redirect("review_ui:queue")
    return redirect(_with_step(reverse("review_ui:item", args=[item.pk]), step))


@evaluator_required
@require_http_methods(["GET", "POST"])
def item(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the item leased to the evaluator. POST: submit the evaluation, then the next item."""
    review_item = get_object_or_404(
        ReviewItem.objects.select_related("step_run__batch", "step_run__page"), pk=pk
    )
    step = _step_param(request) or ""
    criteria = list(Criterion.objects.filter(step=review_item.step, active=True))
    page = review_item.step_run.page
    if request.method == "GET":
        body = _body(request, review_item)
        if not _lease_live(body):
            messages.warning(
                request,
                f"Item {pk} is not leased to you (the lease may have expired): here is the next one.",
            )
            return redirect(_next_url(step))
        return _item_page(
            request, review_item, body, EvaluationForm(criteria=criteria, page=page), step
        )
    form = EvaluationForm(request.POST, criteria=criteria, page=page)
    if not form.is_valid():
        return _item_page(request, review_item, _body(request, review_item), form, step, 400)
    try:
        evaluation = evaluation_submit(
            item=review_item, evaluator=request.user, **form.submission()
        )
    except (InvalidInput, Conflict, BrokerUnavailable) as error:
        form.add_service_error(error)
        body = _body(request, review_item)
        return _item_page(request, review_item, body, form, step, error.status_code)
    messages.success(
        request, f"Saved item {pk}: {evaluation.verdict}, overall {evaluation.overall:g}."
    )
    return redirect(_next_url(step))


@evaluator_required
@require_POST
def skip(request: HttpRequest, pk: int) -> HttpResponse:
    """Pass the item on to others (never offered to this evaluator again), then the next."""
    review_skip(item=get_object_or_404(ReviewItem, pk=pk), evaluator=request.user)
    messages.info(request, f"Skipped item {pk}.")
    return redirect(_next_url(_step_param(request) or ""))

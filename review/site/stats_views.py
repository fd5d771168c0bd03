"""The review site's statistics: one page per step with its tables and plots, and the staff's
button that applies the suggested threshold."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from generation.models import Step
from review import plots
from review.calibration import calibration_outcome, unchanged_reason
from review.dashboard import step_dashboard
from review.site.views import evaluator_required

REVIEW_STEPS = (Step.PLAN.value, Step.DESCRIBE.value, Step.RENDER.value)
DEFAULT_STEP = Step.RENDER.value


@evaluator_required
@require_safe
def stats_page(request: HttpRequest) -> HttpResponse:
    step = request.GET.get("step", DEFAULT_STEP)
    if step not in REVIEW_STEPS:
        return _unknown_step(request, step)
    dashboard = step_dashboard(step=step, viewer=request.user)
    context = {
        "steps": REVIEW_STEPS,
        "step": step,
        "dashboard": dashboard,
        "figures": _figures(dashboard),
        "can_calibrate": request.user.is_staff,
    }
    return render(request, "review/stats.html", context)


@evaluator_required
@require_POST
def calibrate(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied("Only staff may apply a calibration.")
    step = request.POST.get("step") or request.GET.get("step", "")
    if step not in REVIEW_STEPS:
        return _unknown_step(request, step)
    change, report = calibration_outcome(step=step, author=request.user)
    if change is None:
        messages.info(request, f"{step} threshold unchanged: {unchanged_reason(report)}.")
    else:
        statistics = change.statistics
        messages.success(
            request,
            f"{step} threshold {change.old:g} → {change.new:g} (kappa "
            f"{_number(statistics['kappa_current'])} → {_number(statistics['kappa_suggested'])}, "
            f"n={statistics['n']})",
        )
    return redirect(f"{reverse('review_ui:stats')}?{urlencode({'step': step})}")


def _unknown_step(request: HttpRequest, step: str) -> HttpResponse:
    choices = ", ".join(REVIEW_STEPS)
    context = {
        "steps": REVIEW_STEPS,
        "error": f"Unknown step {step!r}: statistics exist for {choices}.",
    }
    return render(request, "review/stats.html", context, status=400)


def _figures(dashboard: dict) -> dict[str, str]:
    """Each plot as the `data:` URI of an <img> (see review.plots)."""
    calibration = dashboard["calibration"]
    agreement = dashboard["agreement"]
    svgs = {
        "auto_vs_human": plots.auto_vs_human_svg(
            dashboard["points"],
            threshold=dashboard["threshold"],
            suggested=calibration["suggested"],
        ),
        "overalls": plots.overall_histogram_svg(
            dashboard["overalls"], pass_mark=dashboard["human_pass_mark"]
        ),
        "agreement": plots.agreement_svg(
            criteria=agreement["criteria"], overall=agreement["overall"]
        ),
        "throughput": plots.throughput_svg(dashboard["throughput"]),
        "history": plots.threshold_history_svg(
            dashboard["history"], current=dashboard["threshold"], now=timezone.now()
        ),
    }
    return {name: plots.data_uri(svg) for name, svg in svgs.items()}


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"

"""A new deck: the form (template, outline, options), its outline drafted from a brief, the
cost estimate the page shows as the options change, and the launch."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.api import BatchCreateThrottle, OutlineDraftThrottle
from generation.errors import InsufficientCredits, NanodeckError
from generation.services.batches import batch_create
from generation.services.outlines import outline_draft
from webapp.forms import DeckForm, add_service_error
from webapp.links import deck_url
from webapp.selectors import active_templates, deck_estimate, provider_models
from webapp.throttles import throttle_wait

JSON_OPTIONS = {"ensure_ascii": False}


@login_required
@require_http_methods(["GET", "POST"])
def deck_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, DeckForm())
    form = DeckForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    if request.POST.get("action") == "draft":
        return _draft(request, form)
    return _launch(request, form)


def _launch(request: HttpRequest, form: DeckForm) -> HttpResponse:
    wait = throttle_wait(BatchCreateThrottle(), request)
    if wait is not None:
        return _throttled(request, form, wait)
    data = form.cleaned_data
    try:
        batch = batch_create(
            owner=request.user,
            payer=request.user,
            enqueue=True,
            template=data["template"],
            outline=data["outline"],
            title=data["title"],
            options=form.options(),
        )
    except InsufficientCredits as exc:
        return _page(request, form, status=402, short=exc.details)
    except NanodeckError as exc:
        add_service_error(form, exc)
        return _page(request, form, status=exc.status_code)
    return redirect(deck_url(batch.pk))


def _draft(request: HttpRequest, form: DeckForm) -> HttpResponse:
    """The brief made into an outline by the chosen text model, put in the form to edit."""
    data = form.cleaned_data
    if not data["brief"].strip():
        form.add_error("brief", _("Write a sentence about the deck first."))
        return _page(request, form, status=400)
    wait = throttle_wait(OutlineDraftThrottle(), request)
    if wait is not None:
        return _throttled(request, form, wait)
    try:
        outline = outline_draft(
            brief=data["brief"], language=data["language"], provider=data["text_provider"]
        )
    except NanodeckError as exc:
        add_service_error(form, exc)
        return _page(request, form, status=exc.status_code)
    drafted = request.POST.copy()
    drafted["outline"] = outline
    return _page(request, DeckForm(drafted), drafted=True)


def _throttled(request: HttpRequest, form: DeckForm, wait: int) -> HttpResponse:
    form.add_error(
        None, _("Too many requests: try again in %(seconds)d seconds.") % {"seconds": wait}
    )
    return _page(request, form, status=429)


def _page(
    request: HttpRequest,
    form: DeckForm,
    *,
    status: int = 200,
    short: dict | None = None,
    drafted: bool = False,
) -> HttpResponse:
    context = {
        "form": form,
        "templates": active_templates().prefetch_related("extra_images"),
        "provider_models": provider_models(),
        "short": short,
        "drafted": drafted,
    }
    return render(request, "webapp/deck_new.html", context, status=status)


@login_required
@require_POST
def deck_estimate_json(request: HttpRequest) -> JsonResponse:
    """What the deck in the form would cost: {pages, credits, usd, balance, enough}, or 400
    {"error"} while the form cannot be estimated (no outline yet, a refused option)."""
    form = DeckForm(request.POST, request.FILES)
    if not form.is_valid():
        message = next(iter(form.errors.values()))[0]
        return JsonResponse({"error": message}, status=400, json_dumps_params=JSON_OPTIONS)
    data = form.cleaned_data
    try:
        estimate = deck_estimate(
            user=request.user,
            template=data["template"],
            outline=data["outline"],
            options=form.options(),
        )
    except NanodeckError as exc:
        return JsonResponse({"error": exc.message}, status=400, json_dumps_params=JSON_OPTIONS)
    return JsonResponse(estimate.as_json(), json_dumps_params=JSON_OPTIONS)

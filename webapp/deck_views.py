"""The deck page: its pages filling in live, progress, downloads, and what people do to the
whole deck (cancel, approve the plan, retry, add and move pages). Each action calls the
service the API calls, then redirects back (POST-redirect-GET); a form with an error is shown
again with what was typed."""

from __future__ import annotations

import math
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.api import RegenerateThrottle
from generation.errors import InsufficientCredits, NanodeckError
from generation.models import Batch, Page
from generation.selectors import batch_progress
from generation.services.batches import batch_approve, batch_cancel, batch_retry_failed
from generation.services.credit_charges import credits_for_reruns
from generation.services.page_edits import (
    EDITABLE_BATCHES,
    page_edit,
    page_insert,
    pages_reorder,
)
from generation.services.regeneration import renders_locally
from webapp.deck_forms import MoveForm, NewPageForm, PlanForm
from webapp.deck_selectors import (
    BATCH_STATUS_LABELS,
    PAGE_STATUS_LABELS,
    STEP_LABELS,
    deck_cards,
    deck_downloads,
    deck_for,
    deck_page_for,
    file_url,
)


def service_message(exc: NanodeckError) -> str:
    """What a refused action says to the person (the service's own words, credits translated)."""
    if isinstance(exc, InsufficientCredits):
        return _("This needs %(needed)s credits; you have %(balance)s.") % exc.details
    return exc.message


def attempt(request: HttpRequest, call: Callable[[], object], form: object = None) -> bool:
    """Run a service call; a refusal (4xx, 503) goes on the form, naming its field when the
    form has one, or into the messages. Nothing is stored when a service refuses."""
    try:
        call()
    except NanodeckError as exc:
        if exc.status_code >= 500 and exc.status_code != 503:
            raise
        if form is None:
            messages.error(request, service_message(exc))
            return False
        fields = [name for name in exc.details if name in form.fields]
        form.add_error(fields[0] if fields else None, service_message(exc))
        return False
    return True


def throttled(request: HttpRequest, form: object = None) -> bool:
    """The API's regenerate throttle, with the same history: page edits, regenerations,
    retried and added pages count together (THROTTLE_REGENERATE)."""
    throttle = RegenerateThrottle()
    if throttle.allow_request(request, None):
        return False
    seconds = math.ceil(throttle.wait() or 1)
    message = _("Too many changes in a short time; try again in %(seconds)s s.") % {
        "seconds": seconds
    }
    if form is None:
        messages.error(request, message)
    else:
        form.add_error(None, message)
    return True


def deck_url(deck: Batch) -> str:
    return reverse("app:deck", kwargs={"batch_id": deck.pk})


def _cards(deck: Batch, plan_forms: dict) -> list[dict]:
    awaiting = deck.status == "awaiting_approval"
    local = deck.opts.provider == "local"
    cards = []
    for page in deck_cards(deck):
        plan_form = plan_forms.get(page.index)
        if awaiting and plan_form is None:
            plan_form = PlanForm(page=page, local=local)
        cards.append(
            {
                "page": page,
                "status_label": PAGE_STATUS_LABELS.get(page.status, page.status),
                "step_label": STEP_LABELS.get(page.current_step, ""),
                "thumbnail_url": file_url(page.thumbnail),
                "plan_form": plan_form,
            }
        )
    return cards


def _config(deck: Batch) -> dict:
    """What deck.js needs: where to listen, where to poll, and the labels it shows."""
    return {
        "events_url": reverse("api:batch-detail", kwargs={"pk": deck.pk}) + "events/",
        "detail_url": reverse("api:batch-detail", kwargs={"pk": deck.pk}),
        "page_url": reverse("app:page", kwargs={"batch_id": deck.pk, "index": 0}),
        "status": deck.status,
        "page_status": {key: str(label) for key, label in PAGE_STATUS_LABELS.items()},
        "batch_status": {key: str(label) for key, label in BATCH_STATUS_LABELS.items()},
        "steps": {key: str(label) for key, label in STEP_LABELS.items()},
        "text": {
            "eta": _("about %(minutes)s min left"),
            "eta_seconds": _("about %(seconds)s s left"),
            "score": _("score %(score)s"),
        },
    }


def _render_deck(
    request: HttpRequest,
    deck: Batch,
    *,
    add_form: NewPageForm | None = None,
    plan_forms: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    progress = batch_progress(batch=deck)
    context = {
        "deck": deck,
        "progress": progress,
        "status_label": BATCH_STATUS_LABELS.get(deck.status, deck.status),
        "cards": _cards(deck, plan_forms or {}),
        "downloads": deck_downloads(deck),
        "add_form": add_form or NewPageForm(initial={"position": progress["total"] + 1}),
        "many_failed": progress["failed"] * 2 > progress["total"] > 0,
        "step_counts": [
            (name, STEP_LABELS[name], counts) for name, counts in progress["steps"].items()
        ],
        "editable": deck.status in EDITABLE_BATCHES,
        "config": _config(deck),
        "local": deck.opts.provider == "local",
    }
    return render(request, "webapp/deck/deck.html", context, status=status)


@login_required
def deck(request: HttpRequest, batch_id: str) -> HttpResponse:
    return _render_deck(request, deck_for(request.user, batch_id))


@login_required
@require_POST
def deck_cancel(request: HttpRequest, batch_id: str) -> HttpResponseRedirect:
    deck = deck_for(request.user, batch_id)
    if attempt(request, lambda: batch_cancel(batch=deck)):
        messages.success(request, _("The deck was cancelled."))
    return redirect(deck_url(deck))


@login_required
@require_POST
def deck_approve(request: HttpRequest, batch_id: str) -> HttpResponseRedirect:
    deck = deck_for(request.user, batch_id)
    if attempt(request, lambda: batch_approve(batch=deck)):
        messages.success(request, _("Approved: the pages are being drawn."))
    return redirect(deck_url(deck))


@login_required
@require_POST
def deck_retry_failed(request: HttpRequest, batch_id: str) -> HttpResponseRedirect:
    deck = deck_for(request.user, batch_id)

    def retry() -> None:
        with credits_for_reruns(batch=deck, payer=request.user):
            batch_retry_failed(batch=deck)

    if attempt(request, retry):
        messages.success(request, _("The failed pages are being drawn again."))
    return redirect(deck_url(deck))


@login_required
@require_POST
def deck_add_page(request: HttpRequest, batch_id: str) -> HttpResponse:
    deck = deck_for(request.user, batch_id)
    form = NewPageForm(request.POST)

    def insert() -> None:
        with credits_for_reruns(batch=deck, payer=request.user):
            page_insert(batch=deck, index=form.cleaned_data["position"], plan=form.plan())

    if form.is_valid() and not throttled(request, form) and attempt(request, insert, form):
        messages.success(request, _("The page was added."))
        return redirect(deck_url(deck))
    return _render_deck(request, deck, add_form=form, status=400)


@login_required
@require_POST
def deck_plan_edit(request: HttpRequest, batch_id: str, index: int) -> HttpResponse:
    """A page's plan changed on the deck page (a deck awaiting approval)."""
    deck = deck_for(request.user, batch_id)
    page = deck_page_for(deck, index)
    form = PlanForm(request.POST, page=page, local=renders_locally(page))
    if form.is_valid() and plan_saved(request, page, form):
        return redirect(f"{deck_url(deck)}#page-{index}")
    return _render_deck(request, deck, plan_forms={index: form}, status=400)


def plan_saved(request: HttpRequest, page: Page, form: PlanForm) -> bool:
    """The page edit service on the form's changes (a form with nothing changed is an error)."""
    changes = form.changes()
    if not changes:
        form.add_error(None, _("Nothing changed."))
        return False

    def edit() -> None:
        with credits_for_reruns(batch=page.batch, payer=request.user):
            page_edit(page=page, changes=changes)

    if not throttled(request, form) and attempt(request, edit, form):
        messages.success(request, _("Page %(index)s was changed.") % {"index": page.index})
        return True
    return False


@login_required
@require_POST
def deck_page_move(request: HttpRequest, batch_id: str, index: int) -> HttpResponseRedirect:
    """One page one place up or down: the reorder service with the whole new order."""
    deck = deck_for(request.user, batch_id)
    deck_page_for(deck, index)
    form = MoveForm(request.POST)
    ids = list(deck.pages.order_by("index").values_list("pk", flat=True))
    target = index - 2 if form.is_valid() and form.cleaned_data["direction"] == "up" else index - 1
    if not form.is_valid() or not 0 <= target < len(ids) - 1:
        messages.error(request, _("That page cannot move that way."))
        return redirect(deck_url(deck))
    ids[target], ids[target + 1] = ids[target + 1], ids[target]

    def reorder() -> None:
        with credits_for_reruns(batch=deck, payer=request.user):
            pages_reorder(batch=deck, page_ids=ids)

    if attempt(request, reorder):
        messages.success(request, _("The page was moved."))
    return redirect(deck_url(deck))

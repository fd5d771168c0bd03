"""The page view: a page's image, its versions, and what people do to it (edit its text and
layout, regenerate it with an instruction, retry, flag, bring back a version, delete). Each
action calls the service the API calls, then redirects (POST-redirect-GET); a form with an
error is shown again with what was typed, and nothing changed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from generation.models import Batch, Page, PageStatus, Step, StepRun
from generation.services.credit_charges import credits_for_reruns
from generation.services.page_actions import page_flag, page_regenerate, page_version_select
from generation.services.page_edits import page_delete
from generation.services.regeneration import renders_locally
from webapp.deck_forms import FlagForm, PlanForm, RegenerateForm
from webapp.deck_selectors import (
    PAGE_STATUS_LABELS,
    STEP_LABELS,
    deck_for,
    deck_page_for,
    file_url,
    versions_of,
)
from webapp.deck_views import attempt, deck_url, plan_saved, throttled


def page_url(deck: Batch, index: int) -> str:
    return reverse("app:page", kwargs={"batch_id": deck.pk, "index": index})


def _render_page(
    request: HttpRequest, deck: Batch, page: Page, *, status: int = 200, **forms: object
) -> HttpResponse:
    local = renders_locally(page)
    total = deck.pages.count()
    context = {
        "deck": deck,
        "page": page,
        "local": local,
        "image_url": file_url(page.image),
        "status_label": PAGE_STATUS_LABELS.get(page.status, page.status),
        "step_label": STEP_LABELS.get(page.current_step, ""),
        "versions": versions_of(page),
        "plan_form": forms.get("plan_form") or PlanForm(page=page, local=local),
        "regenerate_form": None if local else forms.get("regenerate_form") or RegenerateForm(),
        "flag_form": forms.get("flag_form") or FlagForm(),
        "previous": page.index - 1 if page.index > 1 else None,
        "next": page.index + 1 if page.index < total else None,
        "done": page.status not in (PageStatus.PENDING, PageStatus.RUNNING),
        "config": {
            "detail_url": reverse("api:page-detail", kwargs={"pk": page.pk}),
            "status": page.status,
        },
    }
    return render(request, "webapp/deck/page.html", context, status=status)


@login_required
def page(request: HttpRequest, batch_id: str, index: int) -> HttpResponse:
    deck = deck_for(request.user, batch_id)
    return _render_page(request, deck, deck_page_for(deck, index))


@login_required
@require_POST
def page_edit(request: HttpRequest, batch_id: str, index: int) -> HttpResponse:
    deck = deck_for(request.user, batch_id)
    page = deck_page_for(deck, index)
    form = PlanForm(request.POST, page=page, local=renders_locally(page))
    if form.is_valid() and plan_saved(request, page, form):
        return redirect(page_url(deck, index))
    return _render_page(request, deck, page, plan_form=form, status=400)


@login_required
@require_POST
def page_regenerate_view(request: HttpRequest, batch_id: str, index: int) -> HttpResponse:
    """An instruction for an image model (the local renderer takes edits: the plan form)."""
    deck = deck_for(request.user, batch_id)
    page = deck_page_for(deck, index)
    form = RegenerateForm(request.POST)

    def regenerate() -> None:
        with credits_for_reruns(batch=deck, payer=request.user):
            page_regenerate(
                page=page,
                from_step=Step.RENDER if form.cleaned_data["mode"] == "refine" else Step.DESCRIBE,
                instruction=form.cleaned_data["instruction"],
                mode=form.cleaned_data["mode"],
                source=f"user:{request.user.pk}",
            )

    if form.is_valid() and not throttled(request, form) and attempt(request, regenerate, form):
        messages.success(request, _("The page is being drawn again."))
        return redirect(page_url(deck, index))
    return _render_page(request, deck, page, regenerate_form=form, status=400)


@login_required
@require_POST
def page_retry(request: HttpRequest, batch_id: str, index: int) -> HttpResponseRedirect:
    """A failed page runs again from the step it stopped at (the regenerate service)."""
    deck = deck_for(request.user, batch_id)
    page = deck_page_for(deck, index)

    def retry() -> None:
        with credits_for_reruns(batch=deck, payer=request.user):
            page_regenerate(
                page=page,
                from_step=page.resume_step or Step.DESCRIBE,
                source=f"user:{request.user.pk}",
            )

    if not throttled(request) and attempt(request, retry):
        messages.success(request, _("Page %(index)s is being drawn again.") % {"index": index})
    back = page_url(deck, index) if request.POST.get("next") == "page" else deck_url(deck)
    return redirect(back)


@login_required
@require_POST
def page_flag_view(request: HttpRequest, batch_id: str, index: int) -> HttpResponse:
    deck = deck_for(request.user, batch_id)
    page = deck_page_for(deck, index)
    form = FlagForm(request.POST)

    def flag() -> None:
        page_flag(page=page, reason=form.cleaned_data["reason"])

    if form.is_valid() and attempt(request, flag, form):
        messages.success(request, _("Thank you: the page went to human review."))
        return redirect(page_url(deck, index))
    return _render_page(request, deck, page, flag_form=form, status=400)


@login_required
@require_POST
def page_version_select_view(
    request: HttpRequest, batch_id: str, index: int, run_id: int
) -> HttpResponseRedirect:
    deck = deck_for(request.user, batch_id)
    page = deck_page_for(deck, index)
    run = get_object_or_404(StepRun.objects.filter(page=page), pk=run_id)
    if attempt(request, lambda: page_version_select(page=page, run=run)):
        messages.success(request, _("That version is being made the page's image again."))
    return redirect(page_url(deck, index))


@login_required
@require_POST
def page_delete_view(request: HttpRequest, batch_id: str, index: int) -> HttpResponseRedirect:
    deck = deck_for(request.user, batch_id)
    page = deck_page_for(deck, index)
    if attempt(request, lambda: page_delete(page=page)):
        messages.success(request, _("Page %(index)s was deleted.") % {"index": index})
        return redirect(deck_url(deck))
    return redirect(page_url(deck, index))

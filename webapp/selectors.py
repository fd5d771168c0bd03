"""Reads for the web app's pages: my decks and images, a page of a list, the choices the new
deck and new image forms offer, and what a deck will cost. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.paginator import Page as ListPage
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from generation.credit_selectors import credit_balance
from generation.errors import InvalidInput
from generation.models import Batch, Page
from generation.options import BatchOptions
from generation.providers.base import default_image_size
from generation.providers.gemini_batch import batch_price
from generation.providers.pricing import image_cost
from generation.providers.registry import available_models, provider_instance, provider_names
from generation.render.fit import template_fonts
from generation.services.credit_charges import deck_page_estimate
from generation.services.credits import payer_is_charged
from templates_app.models import SlideTemplate

PER_PAGE = 12


def _with_cover(batches: QuerySet[Batch]) -> QuerySet[Batch]:
    """Each batch's first page first in `batch.cover_pages`: a deck's cover (index 1), a
    single image's page (index 0)."""
    first = (
        Page.objects.filter(index__lte=1)
        .order_by("index")
        .only("batch", "index", "thumbnail", "image", "status", "error", "plan")
    )
    return batches.prefetch_related(Prefetch("pages", queryset=first, to_attr="cover_pages"))


def my_decks(*, user: AbstractBaseUser) -> QuerySet[Batch]:
    """The user's decks, newest first, with their covers."""
    decks = Batch.objects.filter(owner=user, kind="deck").defer("outline", "template_snapshot")
    return _with_cover(decks.order_by("-created_at"))


def my_images(*, user: AbstractBaseUser, query: str = "") -> QuerySet[Batch]:
    """The user's single images, newest first; `query`: every word in the prompt (as the
    API's `?q=`)."""
    images = Batch.objects.filter(owner=user, kind="image").defer("template_snapshot")
    for word in query.split():
        images = images.filter(outline__icontains=word)
    return _with_cover(images.order_by("-created_at"))


def page_of(items: QuerySet, number: object, *, per_page: int = PER_PAGE) -> ListPage:
    """One page of a list; a missing or wrong page number gives the nearest page."""
    return Paginator(items, per_page).get_page(number)


def active_templates() -> QuerySet[SlideTemplate]:
    return SlideTemplate.objects.active().order_by("order", "name")


def provider_models() -> dict[str, list[str]]:
    """Every configured image provider with the models a batch may choose, in name order."""
    return {name: available_models(provider_instance(name)) for name in provider_names()}


@dataclass(frozen=True)
class DeckEstimate:
    pages: int
    credits: int
    usd: float
    balance: int

    @property
    def enough(self) -> bool:
        return self.credits <= self.balance

    def as_json(self) -> dict:
        return {
            "pages": self.pages,
            "credits": self.credits,
            "usd": self.usd,
            "balance": self.balance,
            "enough": self.enough,
        }


def deck_estimate(
    *, user: AbstractBaseUser, template: SlideTemplate, outline: str, options: dict
) -> DeckEstimate:
    """What creating this deck reserves (the batch create service's own estimate of the
    slides, times the page price) and about what its images cost in dollars; InvalidInput
    for options the batch would refuse."""
    parsed = BatchOptions.parse(options)
    if not outline.strip():
        raise InvalidInput(_("the outline is empty"), details={"outline": "empty"})
    pages = deck_page_estimate(
        outline=outline, options=parsed, fonts=template_fonts(template.fonts)
    )
    price = settings.CREDIT_COSTS["deck_page"] if payer_is_charged(user) else 0
    return DeckEstimate(
        pages=pages,
        credits=price * pages,
        usd=round(pages * _image_usd(parsed, references=1 + template.extra_images.count()), 4),
        balance=credit_balance(user=user)["balance"],
    )


def _image_usd(options: BatchOptions, *, references: int) -> float:
    model = options.model or provider_instance(options.provider).image_model
    size = default_image_size(options.quality)
    if options.delivery == "batch":
        return batch_price(model=model, image_size=size, input_images=references)
    return image_cost(model=model, image_size=size, input_images=references)

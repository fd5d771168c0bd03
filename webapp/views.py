"""The web app's home (my decks, my images, my balance) and credits (balance and ledger)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from generation.credit_selectors import credit_balance, credit_entries
from webapp.selectors import my_decks, my_images, page_of

LEDGER_PER_PAGE = 25


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "decks": page_of(my_decks(user=user), request.GET.get("decks")),
        "images": page_of(my_images(user=user), request.GET.get("images")),
        "credits": credit_balance(user=user),
    }
    return render(request, "webapp/home.html", context)


@login_required
def credits_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "credits": credit_balance(user=user),
        "entries": page_of(
            credit_entries(user=user), request.GET.get("page"), per_page=LEDGER_PER_PAGE
        ),
    }
    return render(request, "webapp/credits.html", context)

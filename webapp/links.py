"""Where a deck's page is (app:deck, in webapp/deck_urls.py): the one place that names it."""

from django.urls import reverse


def deck_url(batch_id: object) -> str:
    return reverse("app:deck", kwargs={"batch_id": batch_id})

"""Where a deck's page is (app:deck, in webapp/deck_urls.py): the one place that names it."""


def deck_url(batch_id: object) -> str:
    return f"/decks/{batch_id}/"

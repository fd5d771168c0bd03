"""The deck page and the page view (included into webapp/urls.py, namespace `app`)."""

from django.urls import path

from webapp import deck_views, page_views

DECK = "decks/<uuid:batch_id>/"
PAGE = f"{DECK}pages/<int:index>/"

urlpatterns = [
    path(DECK, deck_views.deck, name="deck"),
    path(f"{DECK}cancel/", deck_views.deck_cancel, name="deck-cancel"),
    path(f"{DECK}approve/", deck_views.deck_approve, name="deck-approve"),
    path(f"{DECK}retry-failed/", deck_views.deck_retry_failed, name="deck-retry-failed"),
    path(f"{DECK}pages/add/", deck_views.deck_add_page, name="deck-add-page"),
    path(f"{PAGE}plan/", deck_views.deck_plan_edit, name="deck-plan-edit"),
    path(f"{PAGE}move/", deck_views.deck_page_move, name="page-move"),
    path(PAGE, page_views.page, name="page"),
    path(f"{PAGE}edit/", page_views.page_edit, name="page-edit"),
    path(f"{PAGE}regenerate/", page_views.page_regenerate_view, name="page-regenerate"),
    path(f"{PAGE}retry/", page_views.page_retry, name="page-retry"),
    path(f"{PAGE}flag/", page_views.page_flag_view, name="page-flag"),
    path(f"{PAGE}delete/", page_views.page_delete_view, name="page-delete"),
    path(
        f"{PAGE}versions/<int:run_id>/select/",
        page_views.page_version_select_view,
        name="page-version-select",
    ),
]

"""The web app's pages, mounted at `/`."""

from django.urls import include, path

from webapp import account_views, image_views, new_deck_views, views

app_name = "app"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", account_views.signup, name="signup"),
    path("signin/", account_views.signin, name="signin"),
    path("signout/", account_views.signout, name="signout"),
    path("credits/", views.credits_page, name="credits"),
    path("decks/new/", new_deck_views.deck_new, name="deck-new"),
    path("decks/new/estimate/", new_deck_views.deck_estimate_json, name="deck-estimate"),
    path("images/", image_views.gallery, name="images"),
    path("images/new/", image_views.image_new, name="image-new"),
    path("images/<uuid:pk>/", image_views.image_detail, name="image"),
    path("images/<uuid:pk>/delete/", image_views.image_delete, name="image-delete"),
    path("", include("webapp.deck_urls")),
]

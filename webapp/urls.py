"""The web app's pages, mounted at `/`."""

from django.urls import include, path

from webapp import views

app_name = "app"

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("webapp.deck_urls")),
]

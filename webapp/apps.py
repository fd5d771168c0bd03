from django.apps import AppConfig


class WebappConfig(AppConfig):
    """The web app for people who make decks and images (`/`): pages over the services the API uses."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "webapp"
    verbose_name = "Web app"

"""The local demo superuser: created or given a fresh random password on every call."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Create (or reset) the local demo superuser with a newly generated password and print it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, **options) -> None:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username=options["username"])
        password = secrets.token_urlsafe(12)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(
            f"admin login: user '{user.username}', password '{password}' (new on every run)"
        )

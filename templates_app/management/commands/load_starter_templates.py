from django.core.management.base import BaseCommand

from templates_app.starter import load_starter_templates


class Command(BaseCommand):
    help = "Create the starter slide templates that are missing (idempotent)."

    def handle(self, *args, **options) -> None:
        created = load_starter_templates()
        if created:
            self.stdout.write(f"created templates: {', '.join(created)}")
        else:
            self.stdout.write("starter templates already present")

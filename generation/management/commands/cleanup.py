from django.core.management.base import BaseCommand

from generation.services.retention import expired_cleanup


class Command(BaseCommand):
    help = (
        "Delete finished batches (with their files) and task history older than RETENTION_DAYS, "
        "and batch folders no batch owns."
    )

    def handle(self, *args, **options) -> None:
        result = expired_cleanup()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))

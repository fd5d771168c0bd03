from django.core.management.base import BaseCommand

from generation.services.sweeper import sweep


class Command(BaseCommand):
    help = "Re-queue pages whose lease expired or whose task never started; close finished batches."

    def handle(self, *args, **options) -> None:
        result = sweep()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))

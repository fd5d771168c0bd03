from django.core.management.base import BaseCommand, CommandError

from generation.cluster import run_workers


class Command(BaseCommand):
    help = (
        "Run the django-q2 workers (Q_WORKERS processes) until SIGTERM or SIGINT; on either, "
        "to this process or its whole group, every page in hand is finished or handed back "
        "within WORKER_STOP_GRACE_SECONDS. Use this instead of qcluster."
    )

    def handle(self, *args, **options) -> None:
        exitcode = run_workers()
        if exitcode:
            raise CommandError(f"the workers' sentinel exited with code {exitcode}")

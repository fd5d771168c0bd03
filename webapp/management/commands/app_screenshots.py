"""Screenshots of the web app's main pages (webapp/screenshots.py lists them)."""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.runner import DiscoverRunner
from django.test.utils import override_settings

from webapp.screenshots import CHROMIUM, SHOTS, demo_data, live_server, take


class Command(BaseCommand):
    help = (
        "Save screenshots of the web app's main pages: demo data in a throw-away test "
        "database, a live server on a free port, Debian's Chromium."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default="docs/screenshots/", help="Folder for the PNGs.")
        parser.add_argument("--widths", default="1280", help="Viewport widths, e.g. 1280,390.")
        parser.add_argument("--languages", default="en", help="e.g. en,zh-hans.")
        parser.add_argument("--pages", default="", help="Only these (names in SHOTS).")

    def handle(self, *args: object, **options: object) -> None:
        if not Path(CHROMIUM).exists():
            raise CommandError(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
        wanted = [name for name in options["pages"].split(",") if name]
        shots = [shot for shot in SHOTS if not wanted or shot.name in wanted]
        widths = [int(width) for width in options["widths"].split(",")]
        languages = options["languages"].split(",")
        # Playwright's sync API runs an event loop in this thread; the ORM calls are done by then.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        runner = DiscoverRunner(verbosity=0, interactive=False)
        databases = runner.setup_databases()
        try:
            with (
                tempfile.TemporaryDirectory() as media,
                override_settings(
                    MEDIA_ROOT=Path(media),
                    NANODECK={**settings.NANODECK, "OCR_ENABLED": False},
                    ALLOWED_HOSTS=["127.0.0.1"],
                ),
            ):
                demo = demo_data()
                with live_server() as base:
                    saved = take(
                        base=base,
                        demo=demo,
                        out=Path(options["out"]),
                        widths=widths,
                        languages=languages,
                        shots=shots,
                    )
        finally:
            runner.teardown_databases(databases)
        for path in saved:
            self.stdout.write(str(path))

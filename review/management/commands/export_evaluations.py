"""Export every human evaluation, with the StepRun it judged, as CSV or JSON Lines."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from generation.errors import InvalidInput
from review.exports import FORMATS, evaluations_export, evaluations_for_export


class Command(BaseCommand):
    help = "Export human evaluations (one row each) as CSV or JSON Lines, UTF-8."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", default="csv", help=f"One of {', '.join(FORMATS)}.")
        parser.add_argument("--step", default=None, help="Only this step's evaluations.")
        parser.add_argument("--out", default=None, help="Output file; stdout when omitted.")

    def handle(self, *args: object, **options: object) -> None:
        try:
            lines = evaluations_export(evaluations_for_export(options["step"]), options["format"])
        except InvalidInput as exc:
            raise CommandError(exc.message) from None
        if options["out"] is None:
            self.stdout.ending = ""
            for line in lines:
                self.stdout.write(line)
            return
        with open(options["out"], "w", encoding="utf-8", newline="") as stream:
            stream.writelines(lines)

"""Outline file → deck, synchronously in this process (no worker needed)."""

import argparse
import tempfile
import unicodedata
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from generation.errors import BrokerUnavailable, InvalidInput
from generation.exports import export_deck
from generation.models import BatchStatus
from generation.options import LANGUAGES, SIZES
from generation.services.batches import batch_create, batch_run
from templates_app.models import SlideTemplate


class Command(BaseCommand):
    help = "Generate a slide deck from an outline file through the whole pipeline, synchronously."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("outline_file", help="UTF-8 text or Markdown outline")
        parser.add_argument(
            "--template", default="business", help="template slug (default: business)"
        )
        parser.add_argument("--out", help="where to write the PPTX (required unless --async)")
        parser.add_argument(
            "--async",
            dest="run_async",
            action="store_true",
            help="queue the batch for the workers, print its id and return",
        )
        parser.add_argument(
            "--editable", help="also write an editable PPTX (native text boxes) here"
        )
        parser.add_argument("--pdf", help="also write a PDF here")
        parser.add_argument("--zip", help="also write a ZIP of PNGs here")
        parser.add_argument("--images", help="also write one PNG per slide into this folder")
        parser.add_argument(
            "--size", default=None, help=f"slide size: {', '.join(SIZES)} (default: DEFAULT_SIZE)"
        )
        parser.add_argument("--title", default="", help="deck title (default: the outline's)")
        parser.add_argument(
            "--provider", default=None, help="image provider (default: DEFAULT_PROVIDER)"
        )
        parser.add_argument(
            "--text-provider", default=None, help="provider for outline/plan/describe"
        )
        parser.add_argument(
            "--language",
            default=None,
            help=f"the deck's language: {', '.join(LANGUAGES)} (default: auto, the outline's)",
        )
        parser.add_argument(
            "--no-ending", action="store_true", help="no closing page (thanks, the sections)"
        )
        parser.add_argument(
            "--hedge",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="hedged render calls (default: the provider's, HEDGE_PROVIDERS)",
        )

    def handle(self, *args, **options) -> None:
        if not options["out"] and not options["run_async"]:
            raise CommandError("--out is required (or --async to queue the batch for the workers)")
        outline = self._read(Path(options["outline_file"]))
        template = self._template(options["template"])
        if not options["run_async"]:
            _check_outputs(options)
        batch_options = {
            "size": options["size"],
            "provider": options["provider"],
            "text_provider": options["text_provider"],
            "language": options["language"],
        }
        chosen = {k: v for k, v in batch_options.items() if v}
        if options["no_ending"]:
            chosen["ending"] = False
        if options["hedge"] is not None:
            chosen["hedge"] = options["hedge"]
        try:
            batch = batch_create(
                template=template,
                outline=outline,
                title=options["title"],
                options=chosen,
                enqueue=options["run_async"],
            )
        except (InvalidInput, BrokerUnavailable) as exc:
            raise CommandError(exc.message) from None
        if options["run_async"]:
            self.stdout.write(str(batch.pk))
            return
        batch = batch_run(batch=batch)
        if batch.status == BatchStatus.FAILED and not batch.pages.exists():
            raise CommandError(batch.error)
        self._report(batch)
        self._write(batch, options)
        if batch.status != BatchStatus.COMPLETED:
            raise CommandError(
                f"batch {batch.pk} ended {batch.status}: {batch.failed_pages} page(s) failed"
            )

    def _read(self, path: Path) -> str:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"outline file not found: {path}") from None
        except IsADirectoryError:
            raise CommandError(f"outline path is a folder, not a file: {path}") from None
        except UnicodeDecodeError:
            raise CommandError(f"outline file is not UTF-8 text: {path}") from None
        if "\x00" in text:  # valid UTF-8, but PostgreSQL cannot store it
            raise CommandError(f"outline file contains NUL bytes (is it a binary file?): {path}")
        if not text.strip():
            raise CommandError(f"the outline is empty: {path}")
        return text

    def _template(self, slug: str) -> SlideTemplate:
        try:
            return SlideTemplate.objects.active().get(slug=slug)
        except SlideTemplate.DoesNotExist:
            known = (
                ", ".join(SlideTemplate.objects.active().values_list("slug", flat=True)) or "none"
            )
            raise CommandError(f"unknown template '{slug}' (available: {known})") from None

    def _report(self, batch) -> None:
        for page in batch.pages.order_by("index"):
            runs = page.step_runs.filter(step="render")
            selected = runs.selected().first()
            score = f"{selected.score:.1f}" if selected and selected.score is not None else "-"
            flag = "  flagged" if page.flagged else ""
            self.stdout.write(
                f"{page.index:>3}  {page.kind:<10}  {_fit(page.title, 40)}  "
                f"attempts={runs.count()}  score={score}  {page.status}{flag}"
            )

    def _write(self, batch, options: dict) -> None:
        formats = {"out": "pptx", "editable": "pptx-editable", "pdf": "pdf", "zip": "zip"}
        outputs = [(formats[name], options[name]) for name in FILE_OUTPUTS]
        for fmt, target in outputs:
            if target:
                path = Path(target)
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("wb") as out:
                    export_deck(batch, fmt, out)
                self.stdout.write(f"wrote {fmt}: {path}")
        if options["images"]:
            folder = Path(options["images"])
            folder.mkdir(parents=True, exist_ok=True)
            for page in batch.pages.filter(status="completed").order_by("index"):
                with page.image.open("rb") as handle:
                    (folder / f"slide-{page.index:02d}.png").write_bytes(handle.read())
            self.stdout.write(f"wrote images: {folder}")


FILE_OUTPUTS = ("out", "editable", "pdf", "zip")


def _check_outputs(options: dict) -> None:
    """Refuse an output that cannot be written before generating anything: its folder is made,
    a new file is created and removed again, an existing one is opened for appending."""
    for name in (*FILE_OUTPUTS, "images"):
        if not options[name]:
            continue
        path = Path(options[name])
        try:
            if name == "images":
                path.mkdir(parents=True, exist_ok=True)
                tempfile.TemporaryFile(dir=path).close()
            elif path.is_dir():
                raise IsADirectoryError(21, "it is a folder")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                _probe_file(path)
        except OSError as exc:
            raise CommandError(f"cannot write --{name}: {path} ({exc.strerror})") from None


def _probe_file(path: Path) -> None:
    if path.exists():
        path.open("ab").close()
    else:
        path.open("xb").close()
        path.unlink()


def _fit(text: str, columns: int) -> str:
    """Cut and pad to a terminal width where CJK characters take two columns."""
    out, used = [], 0
    for char in text:
        width = 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used + width > columns:
            break
        out.append(char)
        used += width
    return "".join(out) + " " * (columns - used)

"""Benchmark the text check as a new user would meet it: clean slides and one-line garbles.

Clean slides are rendered from the project's sample outlines (generation/samples/*.md, Chinese
and English) with every starter template (palette, picture and fonts), content pages cycling
through every layout, split into continuation pages where the slide would overflow (see
clean_cases: as the plan step splits them, measured in the layout forced). Each
clean slide gets one garble of each kind (generation.quality.garble), rendered from the
garbled plan; the garbles and degradations are seeded per slide and kind, so two versions of
the check meet the same images whatever they flag. Both paths check every slide against the original plan:

- box: the local render with the renderer's text boxes (what the render step does with the
  local provider);
- slide: the same image degraded as image-model output is (resampled, blurred, textured,
  JPEG) and read without boxes (what the render step does with an image model);
- slide_clean: the local render itself read without boxes (the same check on a clean image).

A garble counts as caught on a path when the garbled line fails there; garbles are counted
only for clean slides that pass on that path (a flag on a slide that fails anyway proves
nothing). Lines the slide shows more often than planned (a section number "01" that is also
the badge) are not garbled: a copy stays on the slide. Prints one JSON line: the clean slides
made (how many are continuation pages, how many still have text outside the safe box: cut off
at the edge) and per path the figures of Tally.figures.
"""

from __future__ import annotations

import functools
import json
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from generation.planning.continuation import split_page
from generation.planning.outline import parse_outline
from generation.planning.planner import compose_pages
from generation.quality.garble import MUTATIONS, degrade, garble
from generation.quality.image_checks import assess_slide
from generation.quality.text_check import plan_lines
from generation.quality.textdiff import fold
from generation.render.fit import boxes_outside, fit_measure, template_fonts
from generation.render.layouts import CONTENT_LAYOUTS
from generation.render.renderer import render_slide
from generation.slides import Theme
from templates_app.starter import SANS, STARTERS

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SIZE = (1536, 864)
MAX_ITEMS = 6  # items per page, as the plan step's default (textprompts.plan_pages)
PATHS = ("box", "slide", "slide_clean")
LENGTHS = ((2, "1-2"), (4, "3-4"), (12, "5-12"), (24, "13-24"))


def length_bucket(text: str) -> str:
    """The bucket of a line's length in compared characters (letters and digits)."""
    size = len(fold(text))
    return next((name for limit, name in LENGTHS if size <= limit), "25+")


def shown_elsewhere(lines: list, boxes: list) -> frozenset[int]:
    """The lines whose text the slide shows more often than the plan asks for it (a section
    number also drawn as a badge): garbling one copy leaves it on the slide."""
    planned = Counter(fold(line.text) for line in lines)
    shown = Counter(fold(box.text) for box in boxes)
    return frozenset(
        i for i, line in enumerate(lines) if shown[fold(line.text)] > planned[fold(line.text)]
    )


def clean_cases(samples: Path, limit: int, every: int = 1, offset: int = 0) -> list[dict]:
    """Every page of every sample outline with every starter template, as render requests
    (every: only each every-th of them from the offset-th, a sample spread over all outlines
    and templates; runs with offsets 0 to every - 1 cover them all); content pages cycle
    through CONTENT_LAYOUTS (see outline_pages). Each case has its index among all ("n")."""
    cases = []
    for outline_file in sorted(samples.glob("*.md")):
        outline = parse_outline(outline_file.read_text(encoding="utf-8"))
        for t, spec in enumerate(STARTERS):
            fonts = spec.get("fonts", SANS)
            theme = Theme.from_palette(
                spec["palette"],
                reference_image=spec["draw"](spec["palette"]),
                style=spec["style"],
                fonts=fonts,
            )
            layouts = functools.partial(_rotated_layout, t)
            cases += [
                {"plan": plan, "theme": theme, "params": params}
                for plan, params in outline_pages(outline, template_fonts(fonts), layouts)
            ]
    cases = [{**case, "n": n} for n, case in enumerate(cases)][offset :: max(every, 1)]
    return cases[:limit] if limit else cases


def _rotated_layout(template: int, page: int) -> str:
    """The layout of an outline's page with the template-th starter: each in turn."""
    return CONTENT_LAYOUTS[(page + template) % len(CONTENT_LAYOUTS)]


def outline_pages(
    outline: dict, fonts: tuple[str, str], layout_of: Callable[[int], str]
) -> list[tuple[dict, dict]]:
    """(plan, render params) of each page of an outline, made as the plan step makes them
    (textprompts.plan_pages: split at MAX_ITEMS items and where the renderer's own measure
    says the slide would overflow, into continuation pages), except that the n-th page of the
    outline, when a content page, is drawn in layout layout_of(n) and measured in it: so no
    clean slide has text cut off at its edge. A page that cannot be split to fit is left out,
    as the plan step refuses it."""
    pages = []
    for n, page in enumerate(compose_pages(outline, max_items_per_page=None)):  # not yet split
        params = {"layout": layout_of(n)} if page.get("kind") == "content" else {}
        fits = fit_measure(SIZE, fonts, params.get("layout", "auto"))
        parts = split_page(page, limit=MAX_ITEMS, language=page["language"], fits=fits)
        pages += [(plan, params) for plan in parts if "unfit" not in plan]
    return pages


class Tally:
    """Counts per path: clean flags, and caught/total per mutation kind, language, length."""

    def __init__(self) -> None:
        self.clean: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # flagged, overflow, n
        self.caught: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        self.corrected: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # look-alike misses
        self.ms: dict[tuple, list[float]] = defaultdict(list)
        # clean slides, continuation pages among them, slides with text outside the safe box
        self.slides = Counter()
        # each flagged clean slide: its index among all, and its failing lines (expected, got)
        self.flagged: dict[str, list[dict]] = defaultdict(list)

    def add_clean(
        self,
        path: str,
        flagged: bool,
        overflow: bool,
        ms: float,
        *,
        n: int = -1,
        rows: Sequence[dict] = (),
    ) -> None:
        counts = self.clean[path]
        counts[0] += flagged
        counts[1] += flagged and overflow
        counts[2] += 1
        self.ms[path, "clean"].append(ms)
        if flagged:
            failing = [[row["expected"], row["got"]] for row in rows if row["failed"]]
            self.flagged[path].append({"n": n, "overflow": overflow, "lines": failing})

    def add_garble(self, path: str, keys: dict, caught: bool, corrected: bool, ms: float) -> None:
        for group, value in keys.items():
            counts = self.caught[path, group, value]
            counts[0] += caught
            counts[1] += 1
        if keys["kind"] == "lookalike" and not caught:
            self.corrected[path][0] += corrected
        if keys["kind"] == "lookalike":
            self.corrected[path][1] += 1
        self.ms[path, "garbled"].append(ms)

    def figures(self, path: str) -> dict:
        flagged, overflow, clean = self.clean[path]
        total = [0, 0]
        groups: dict[str, dict] = {"kind": {}, "language": {}, "length": {}}
        for (owner, group, value), (caught, n) in sorted(self.caught.items()):
            if owner != path:
                continue
            groups[group][value] = {"caught": _rate(caught, n), "n": n}
            if group == "kind":
                total = [total[0] + caught, total[1] + n]
        corrected, lookalikes = self.corrected[path]
        return {
            "clean_slides": clean,
            "clean_flag_rate": _rate(flagged, clean),
            "clean_flagged": flagged,
            "clean_flagged_with_overflow": overflow,
            "clean_flagged_slides": self.flagged[path],
            "garbles": total[1],
            "caught": _rate(*total),
            "by_kind": groups["kind"],
            "by_language": groups["language"],
            "by_length": groups["length"],
            "lookalike_read_as_planned": _rate(corrected, lookalikes),
            "ms_per_clean_slide": _median(self.ms[path, "clean"]),
            "ms_per_garbled_slide": _median(self.ms[path, "garbled"]),
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


class Command(BaseCommand):
    help = "Flag rate on clean slides and detection of one-line garbles, per check path; one JSON line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=12, help="seeds the garbles and degradation"
        )
        parser.add_argument("--limit", type=int, default=0, help="clean slides to use (0: all)")
        parser.add_argument(
            "--every", type=int, default=1, help="use only each N-th clean slide (a spread sample)"
        )
        parser.add_argument(
            "--offset", type=int, default=0, help="with --every: start at the K-th clean slide"
        )
        parser.add_argument(
            "--paths", default=",".join(PATHS), help=f"comma-separated, of {', '.join(PATHS)}"
        )
        parser.add_argument("--samples", type=Path, default=SAMPLES, help="folder of outlines")
        parser.add_argument(
            "--clean-only",
            action="store_true",
            help="check the clean slides only, no garbles (the clean flag rate on more slides)",
        )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        paths = [path for path in options["paths"].split(",") if path in PATHS]
        tally = Tally()
        cases = clean_cases(
            options["samples"], options["limit"], options["every"], options["offset"]
        )
        for case in cases:
            # Seeded per slide (its index among all): the garbles and degradations of a slide
            # do not depend on what the check flagged before it or on the sample it is in, so
            # two versions of the check, and runs side by side, see the same images.
            self._case(
                case,
                paths,
                f"{options['seed']}:{case['n']}",
                tally,
                garbles=not options["clean_only"],
            )
        figures = {
            "seed": options["seed"],
            "every": options["every"],
            "offset": options["offset"],
            "slides": dict(tally.slides),
            "paths": {path: tally.figures(path) for path in paths},
            "seconds": round(time.perf_counter() - started, 1),
        }
        self.stdout.write(json.dumps(figures, ensure_ascii=False))

    def _case(
        self, case: dict, paths: list[str], seed: str, tally: Tally, *, garbles: bool = True
    ) -> None:
        plan, lines = case["plan"], plan_lines(case["plan"])
        language = plan.get("language", "en")
        clean = render_slide(plan, case["theme"], SIZE, case["params"])
        # Text cut off at the slide's edge: a box reaching past the safe box (the render check's
        # overflow). The renderer's own overflow flag only says the minimum sizes were used.
        cut_off = bool(boxes_outside([_edges(box) for box in clean.boxes], clean.safe_box))
        tally.slides.update(
            clean=1, continuation_pages=bool(plan.get("continues")), text_outside_safe_box=cut_off
        )
        passing = []
        for path in paths:
            result, ms = _check(path, clean, lines, random.Random(f"{seed}:clean"))
            flagged = "ocr_mismatch" in result.hints
            rows = result.metrics["ocr_boxes"] or ()
            tally.add_clean(path, flagged, cut_off, ms, n=case["n"], rows=rows)
            if not flagged and garbles:
                passing.append(path)
        skip = shown_elsewhere(lines, clean.boxes)
        rng = random.Random(seed)
        for kind in MUTATIONS:
            garbled = garble(plan, kind, rng, skip=skip)
            if garbled is None or not passing:
                continue
            render = render_slide(garbled.plan, case["theme"], SIZE, case["params"])
            keys = {"kind": kind, "language": language, "length": length_bucket(garbled.line.text)}
            for path in passing:
                result, ms = _check(path, render, lines, random.Random(f"{seed}:{kind}"))
                rows = result.metrics["ocr_boxes"]
                row = rows[garbled.index]
                # A line planned twice: either copy failing catches the garble.
                same = [r for r in rows if fold(r["expected"]) == fold(garbled.line.text)]
                caught = any(r["failed"] for r in same)
                corrected = row["distance"] == 0 or fold(row["got"]) == fold(garbled.line.text)
                tally.add_garble(path, keys, caught, corrected, ms)


def _edges(box) -> tuple[int, int, int, int]:
    return box.x, box.y, box.x + box.w, box.y + box.h


def _check(path: str, render, lines: list, rng: random.Random) -> tuple:
    """(assessment, milliseconds) of one path on one render (rng: the degradation's, path
    slide)."""
    image = degrade(render.image, rng) if path == "slide" else render.image
    started = time.perf_counter()
    result = assess_slide(
        image,
        expected_size=SIZE,
        boxes=render.boxes if path == "box" else None,
        safe_box=render.safe_box if path == "box" else None,
        expected_lines=lines,
    )
    return result, (time.perf_counter() - started) * 1000

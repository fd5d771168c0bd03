"""Benchmark: render one content slide and check it (with and without OCR); prints medians."""

import statistics
import time

from django.core.management.base import BaseCommand, CommandParser

from generation.planning.outline import parse_outline
from generation.planning.planner import compose_pages
from generation.quality.image_checks import assess_slide
from generation.quality.text_check import plan_lines
from generation.render.renderer import render_slide
from generation.slides import Theme
from templates_app.starter import STARTERS

ZH = "# 智能课堂\n## 实践\n### 引入AI工具的四个步骤\n- 第一步：明确目标\n- 第二步：挑选工具\n- 第三步：设计活动\n- 第四步：收集反馈\n"
EN = "# Remote Work\n## Practice\n### Tools compared\n- Chat vs email: speed versus record\n- Video vs documents: presence versus depth\n- Boards vs lists: overview versus detail\n"


def _median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


class Command(BaseCommand):
    help = "Median time to render a 1536x864 content slide and to assess it (contrast, margins, fonts, OCR)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=20)

    def handle(self, *args, **options) -> None:
        runs = options["runs"]
        theme = Theme.from_palette(STARTERS[0]["palette"])
        size = (1536, 864)
        self.stdout.write(f"runs per figure: {runs} (medians, ms)")
        for language, outline in (("zh", ZH), ("en", EN)):
            page = compose_pages(parse_outline(outline))[-1]
            render_slide(page, theme, size)  # warm the font cache

            def render(page=page):
                return render_slide(page, theme, size)

            result = render()

            def check(ocr: bool, result=result, page=page) -> None:
                assess_slide(
                    result.image,
                    expected_size=size,
                    boxes=result.boxes,
                    safe_box=result.safe_box,
                    expected_lines=plan_lines(page),  # as the render step checks it
                    ocr=ocr,
                )

            figures = {
                "render": _median_ms(render, runs),
                "check without OCR": _median_ms(lambda: check(False), runs),
                "check with OCR": _median_ms(lambda: check(True), runs),
            }
            line = ", ".join(f"{name} {value:.1f}" for name, value in figures.items())
            self.stdout.write(f"{language} {page['semanticFeatures']['logicType']:<14} {line}")

import io
import re

from django.core.management import call_command


def test_the_render_benchmark_prints_medians_for_chinese_and_english():
    out = io.StringIO()

    call_command("bench_render", "--runs=1", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "runs per figure: 1 (medians, ms)"
    figures = r"render [\d.]+, check without OCR [\d.]+, check with OCR [\d.]+"
    assert re.fullmatch(rf"zh sequential\s+{figures}", lines[1])
    assert re.fullmatch(rf"en comparison\s+{figures}", lines[2])

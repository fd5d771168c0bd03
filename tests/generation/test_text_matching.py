"""Matching a planned line to the runs of text read on an image-model slide (no OCR): dots
where the plan has a separator, long lines over many runs."""

from generation.quality.ocr import Word
from generation.quality.regions import Region
from generation.quality.slide_check import Reading, Run
from generation.quality.textdiff import distance

# --- separators ---------------------------------------------------------------------------


def runs_of(*texts: tuple[str, int, int]) -> list[Run]:
    """Runs on one row at y 454: (text, x, size in pixels, as wide as tall)."""
    return [
        Run(
            i,
            Region(x, 454 + (40 - size) // 2, size * max(len(text), 1), size),
            (Word(text, x, 454, x + size * len(text), 494),),
        )
        for i, (text, x, size) in enumerate(texts)
    ]


def test_a_dot_is_read_as_the_separator_the_plan_has_there():
    reading = Reading(runs_of(("技术大会", 428, 40), ("e", 620, 12), ("主题演讲", 646, 40)))
    chain = reading.best("技术大会 · 主题演讲")
    assert reading.text(chain, "技术大会 · 主题演讲") == "技术大会 · 主题演讲"


def test_a_dot_is_a_character_when_the_plan_has_no_separator():
    reading = Reading(runs_of(("技术大会", 428, 40), ("e", 620, 12), ("主题演讲", 646, 40)))
    chain = reading.best("技术大会主题演讲")
    assert reading.text(chain, "技术大会主题演讲") != "技术大会主题演讲"


def test_a_character_beside_a_separator_is_still_read():
    # One character as tall as the line where the plan has a dot: not a dot, so it counts.
    reading = Reading(runs_of(("技术大会", 428, 40), ("和", 600, 40), ("主题演讲", 646, 40)))
    chain = reading.best("技术大会 · 主题演讲")
    assert distance("技术大会 · 主题演讲", reading.text(chain, "技术大会 · 主题演讲")) >= 1


# --- long lines over many runs ---------------------------------------------------------------

PARAGRAPH_ZH = (
    "先把可观测性建设好再去做任何性能优化因为在我们的经历中大约一半的所谓性能问题在看到真实的"
    "显存占用批次大小排队时长和缓存命中率曲线之后都被证明是配置错误或者容量规划失误而不是引擎"
    "本身的缺陷如果一开始就能看到这些指标很多走过的弯路都可以避免团队也能把有限的精力集中在真"
    "正有价值的优化上而不是在深夜对着平均耗时曲线猜测原因"
)


def paragraph(text: str) -> Reading:
    """text in runs of five characters, four runs a row (a long item cut at its commas)."""
    runs = []
    for n, start in enumerate(range(0, len(text), 5)):
        row, column = divmod(n, 4)
        x, y = 100 + column * 220, 100 + row * 46
        word = Word(text[start : start + 5], x, y, x + 200, y + 40)
        runs.append(Run(n, Region(x, y, 200, 40), (word,)))
    return Reading(runs)


def test_a_long_line_over_many_runs_is_matched_whole():
    # 38 runs: every chain of links was followed before (millions on a long talk's slide, the
    # bench hung there); now a chain whose run reads far from its place in the line stops.
    reading = paragraph(PARAGRAPH_ZH)
    assert reading.text(reading.best(PARAGRAPH_ZH)) == PARAGRAPH_ZH


def test_one_wrong_character_in_a_long_line_over_many_runs_is_one_edit():
    garbled = PARAGRAPH_ZH.replace("缓存命中率", "缓存命中律")
    reading = paragraph(garbled)
    assert distance(PARAGRAPH_ZH, reading.text(reading.best(PARAGRAPH_ZH))) == 1

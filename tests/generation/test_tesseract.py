"""Tesseract kept loaded in the process reads exactly what the `tesseract` command reads."""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess

import pytest
from PIL import Image, ImageDraw, ImageFont

from generation.quality import tesseract
from tests.generation.test_quality_checks import needs_tesseract

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def page(lines: list[str], size: int = 40) -> Image.Image:
    image = Image.new("L", (900, 60 + len(lines) * size * 2), 255)
    draw = ImageDraw.Draw(image)
    for k, line in enumerate(lines):
        draw.text((30, 30 + k * size * 2), line, fill=0, font=ImageFont.truetype(FONT, size))
    return image


def command_reads(image: Image.Image, languages: str, psm: int, tmp_path) -> list[tesseract.Row]:
    """The words of `tesseract <image> stdout -l … --psm … tsv`, as the check used to read."""
    path = tmp_path / "page.pgm"
    image.save(path)
    command = ["tesseract", str(path), "stdout", "-l", languages, "--psm", str(psm)]
    out = subprocess.run(
        [*command, "-c", "tessedit_do_invert=0", "tsv"],
        capture_output=True,
        text=True,
        check=True,
        env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
    ).stdout
    rows = [line.split("\t") for line in out.splitlines()[1:]]
    return [
        tesseract.Row(cells[11], *(int(cell) for cell in cells[6:10]))
        for cells in rows
        if len(cells) == 12 and cells[11].strip()
    ]


@needs_tesseract
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="the tesseract command is missing")
@pytest.mark.parametrize(
    ("lines", "languages", "psm"),
    [
        (["Quarterly revenue grew 12%", "Next step: 3 new markets"], "eng", 4),
        (["Quarterly revenue grew 12%", "O0 l1I| 5S$"], "eng", 6),
        (["客户满意度创历史新高", "两款新产品在欧洲市场发布"], "chi_sim", 4),
        (["第五步：推送 API v2 到 3 个区域", "人"], "chi_sim+eng", 6),
    ],
)
def test_the_loaded_library_reads_word_for_word_what_the_command_reads(
    lines, languages, psm, tmp_path
):
    image = page(lines)
    assert tesseract.read(image, languages, psm) == command_reads(image, languages, psm, tmp_path)


@needs_tesseract
def test_reading_the_same_image_again_after_others_gives_the_same_words():
    first = page(["Quarterly revenue grew 12%"])
    before = tesseract.read(first, "eng", 4)
    tesseract.read(page(["Something else entirely", "and a second line"]), "eng", 6)
    assert tesseract.read(first, "eng", 4) == before
    assert [row.text for row in before] == ["Quarterly", "revenue", "grew", "12%"]


@needs_tesseract
def test_more_language_sets_than_kept_engines_still_read_right():
    image = page(["Revenue 2026"])
    for languages in ("eng", "chi_sim", "chi_sim+eng", "eng+chi_sim", "eng"):
        assert "2026" in [row.text for row in tesseract.read(image, languages, 6)]


@needs_tesseract
@pytest.mark.parametrize("languages", ["eng+xx_missing", "xx_missing+eng", "xx_missing"])
def test_missing_language_data_is_named(languages):
    with pytest.raises(
        tesseract.TesseractError, match=r"^tesseract language data missing: xx_missing$"
    ):
        tesseract.read(page(["Revenue"]), languages, 4)


def test_a_missing_library_says_tesseract_is_not_installed(settings):
    settings.NANODECK = {**settings.NANODECK, "TESSERACT_LIBRARY": "/nonexistent/libtesseract.so.5"}
    with pytest.raises(tesseract.TesseractError, match=r"^tesseract is not installed$"):
        tesseract.read(page(["Revenue"]), "eng", 4)


@needs_tesseract
def test_reading_writes_none_of_tesseracts_messages(capfd):
    tesseract.read(page(["Revenue 2026"]), "eng", 4)  # would print "Estimating resolution as …"
    with pytest.raises(tesseract.TesseractError):
        tesseract.read(page(["Revenue"]), "xx_other_missing", 4)  # "Failed loading language …"
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def _read_in_child(queue) -> None:
    queue.put([row.text for row in tesseract.read(page(["Revenue 2026"]), "eng", 4)])


@needs_tesseract
def test_a_forked_worker_reads_with_its_own_engine_after_its_parent_read():
    assert [row.text for row in tesseract.read(page(["Revenue 2026"]), "eng", 4)]
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_read_in_child, args=(queue,))
    child.start()
    words = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert words == ["Revenue", "2026"]

"""Tesseract OCR for the quality check, one tesseract read per slide.

Tesseract is kept loaded in the process (generation.quality.tesseract); a read still costs
~20-40 ms however small the image, so the text boxes of a slide are cropped, turned into dark text
on white, scaled to a font size tesseract reads well, stacked vertically with white gaps into
one image and read with a single `image_to_data` call; the recognised words go back to their
boxes by their y position.
Only the requested languages that fit the expected text are loaded, see languages_for().
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from PIL import Image, ImageOps

from generation.quality import tesseract
from generation.slides import TextBox

RGB = tuple[int, int, int]

MIN_FONT_PX = 36  # smaller text is upscaled to this font size (glyphs >= ~24 px tall)
MAX_FONT_PX = 72  # bigger text is downscaled to this font size (faster, reads as well)
PAD_EM = 0.2  # crop padding around a box, in font sizes
GAP_PX = 32  # white space between stacked crops and around the stack
MIN_INK_DISTANCE = 16  # text and background colours closer than this (RGB) use plain grayscale
# psm 4 (variable-size lines) reads whole slides best: 0 of 480 clean boxes mismatched against
# 12 with psm 6; psm 6 is kept for boxes of one or two characters, which psm 4 drops, and
# for second readings.
LINES_PSM = 4
BLOCK_PSM = 6
# The second reading of a line that read wrong: at 0.6 of the size (psm 6) it cleared the 16
# misread lines of 96 clean sample slides (Chinese, 34-70 px text; 0.7-0.85: 3-4 left).
REREAD_SCALE = 0.6
# A third reading, for image-model slides (slide_check) where the second one was wrong too: at
# 1.7 of the size (psm 6) it cleared 5 of 10 Chinese lines that both earlier readings misread
# the same way on clean sample slides (1.2-1.4: 3; 1.0 or 1.4 binarised: 3-5; psm 7 or 13: 0).
ENLARGED_SCALE = 1.7
# (across, down) scale of each reading mode's crops (see read_words). chi_sim misreads some
# glyphs the same way at several scales (替代 as 蔡代, 期末 as 期未, 推送 as 扒送 on sample
# slides), but rarely in every one of these: the narrow, stretched (wider), tall and squeezed
# (narrower) readings each cleared a different share of the lines that both earlier ones
# misread, and which one does changes with the other crops read in the same call.
MODES = {
    "lines": (1.0, 1.0),
    "block": (1.0, 1.0),
    "reread": (REREAD_SCALE, REREAD_SCALE),
    "enlarged": (ENLARGED_SCALE, ENLARGED_SCALE),
    "narrow": (0.8, 0.8),
    "stretched": (1.3, 1.0),
    "tall": (1.0, 1.3),
    "squeezed": (0.8, 1.0),
}
# The modes of the third reading of a line both earlier readings found wrong, on both paths
# (text_check, slide_check): a two-line cover title read as 人全人科吕 at 1.0 and 0.6 of the
# size, 第五步 as 第五上, cleared in one of these.
THIRD_READING = ("enlarged", "narrow", "stretched", "tall", "squeezed")
CJK_LANGUAGES = ("chi_sim", "chi_tra", "jpn", "kor")  # tesseract codes (prefixes)


class Word(NamedTuple):
    """A word read on an image, with its edges there (pixels)."""

    text: str
    left: float
    top: float
    right: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


class OcrUnavailable(Exception):
    """OCR cannot run on this machine; the message says why."""


def read_boxes(
    image: Image.Image, boxes: Sequence[TextBox], inks: Sequence[tuple[RGB, RGB]], languages: str
) -> list[str]:
    """The text recognised in each box (same order), with one tesseract call.

    inks: (text colour, background colour) of each box.
    """
    crops = [_ink_crop(image, box, ink) for box, ink in zip(boxes, inks, strict=True)]
    texts = _read_stacked(crops, languages, LINES_PSM)
    # Line-finding mode drops a lone character ("A", "人", a bullet "b") as noise; read the
    # boxes that came back empty once more, as one uniform block, which keeps them.
    lone = [i for i, text in enumerate(texts) if not text and len(boxes[i].text.strip()) <= 2]
    if lone:
        again = _read_stacked([crops[i] for i in lone], languages, BLOCK_PSM)
        for i, text in zip(lone, again, strict=True):
            texts[i] = text
    return texts


def read_words(
    image: Image.Image,
    boxes: Sequence[TextBox],
    inks: Sequence[tuple[RGB, RGB]],
    languages: str,
    *,
    mode: str = "lines",
) -> list[list[Word]]:
    """The words read in each box (same order) with their edges on the image,
    in one call. mode: "lines" (line-finding, read_boxes' first reading), "block" (one uniform
    block, keeps lone characters), "reread" (a block at REREAD_SCALE, reread_boxes') or
    "enlarged" (a block at ENLARGED_SCALE), or another of MODES."""
    return read_variants(image, boxes, inks, languages, (mode,))[0]


def read_variants(
    image: Image.Image,
    boxes: Sequence[TextBox],
    inks: Sequence[tuple[RGB, RGB]],
    languages: str,
    modes: Sequence[str],
) -> list[list[list[Word]]]:
    """read_words() in each of several modes (MODES, all but "lines" read as blocks) with one
    tesseract call over every box in every mode: for each mode, the words of each box."""
    psm = LINES_PSM if tuple(modes) == ("lines",) else BLOCK_PSM
    crops, owners = [], []
    for m, mode in enumerate(modes):
        across, down = MODES[mode]
        for b, (box, ink) in enumerate(zip(boxes, inks, strict=True)):
            crop = _ink_crop(image, box, ink)
            if (across, down) != (1.0, 1.0):
                size = (max(round(crop.width * across), 1), max(round(crop.height * down), 1))
                crop = crop.resize(size, Image.Resampling.BICUBIC)
            crops.append(crop)
            owners.append((m, b))
    words: list[list[list[Word]]] = [[[] for _ in boxes] for _ in modes]
    if not crops:
        return words
    stacked, tops = _stack(crops)
    for text, top, bottom, left, right in _words(stacked, languages, psm):
        index = max(bisect_right(tops, (top + bottom) / 2) - 1, 0)
        (m, b), crop = owners[index], crops[index]
        box = boxes[b]
        pad, _ = _crop_geometry(box)
        per_x = (box.w + 2 * pad) / crop.width  # image pixels per crop pixel
        per_y = (box.h + 2 * pad) / crop.height
        x0 = box.x - pad + (left - GAP_PX) * per_x
        y0 = box.y - pad + (top - tops[index] - GAP_PX // 2) * per_y
        words[m][b].append(
            Word(text, x0, y0, x0 + (right - left) * per_x, y0 + (bottom - top) * per_y)
        )
    return words


def read_apart(
    image: Image.Image, boxes: Sequence[TextBox], inks: Sequence[tuple[RGB, RGB]], languages: str
) -> list[list[Word]]:
    """The words of each box read in a tesseract call of its own (psm 6, read_words' size):
    what a crop reads as changes with the crops stacked with it in one call."""
    return [
        read_variants(image, [box], [ink], languages, ("block",))[0][0]
        for box, ink in zip(boxes, inks, strict=True)
    ]


def reread_boxes(
    image: Image.Image, boxes: Sequence[TextBox], inks: Sequence[tuple[RGB, RGB]], languages: str
) -> list[str]:
    """A second reading of the boxes at REREAD_SCALE of read_boxes' size, each as one block,
    in one call: the misreadings of the first reading (课堂 read 课尝, a wrapped line dropped)
    mostly do not repeat at another scale."""
    crops = []
    for box, ink in zip(boxes, inks, strict=True):
        crop = _ink_crop(image, box, ink)
        size = (max(round(crop.width * REREAD_SCALE), 1), max(round(crop.height * REREAD_SCALE), 1))
        crops.append(crop.resize(size, Image.Resampling.BICUBIC))
    return _read_stacked(crops, languages, BLOCK_PSM)


def _read_stacked(crops: Sequence[Image.Image], languages: str, psm: int) -> list[str]:
    """One tesseract call over the crops stacked; the words go back to their crop by y."""
    stacked, tops = _stack(crops)
    texts: list[list[str]] = [[] for _ in crops]
    for word, top, bottom, _, _ in _words(stacked, languages, psm):
        centre_y = (top + bottom) / 2
        texts[max(bisect_right(tops, centre_y) - 1, 0)].append(word)
    return [join_words(words) for words in texts]


def languages_for(texts: Iterable[str], languages: str) -> str:
    """The requested languages that fit the texts: the CJK ones when a text has CJK characters,
    else the others; all of them when none fit.

    Measured on crafted slides: chi_sim alone reads Chinese with embedded English better than
    chi_sim+eng (CER 1.2-1.5% against 2.2%, no false mismatches) and about 25% faster; eng
    alone reads English as well as chi_sim+eng in half the time.
    """
    requested = languages.split("+")
    has_cjk = any(_is_cjk(char) for text in texts for char in text)
    fitting = [code for code in requested if code.startswith(CJK_LANGUAGES) == has_cjk]
    return "+".join(fitting) if fitting else languages


def join_words(words: Iterable[str]) -> str:
    """Join OCR words with spaces, except between two CJK characters."""
    text = ""
    for word in words:
        if text and not (_is_cjk(text[-1]) and _is_cjk(word[0])):
            text += " "
        text += word
    return text


def _ink_crop(image: Image.Image, box: TextBox, ink: tuple[RGB, RGB]) -> Image.Image:
    """The box as an "L" image with the text dark on white, scaled for tesseract."""
    pad, scale = _crop_geometry(box)
    crop = _ink_map(
        image.crop((box.x - pad, box.y - pad, box.x + box.w + pad, box.y + box.h + pad)), *ink
    )
    if scale == 1.0:
        return crop
    size = (max(round(crop.width * scale), 1), max(round(crop.height * scale), 1))
    return crop.resize(size, Image.Resampling.BICUBIC)


def _crop_geometry(box: TextBox) -> tuple[int, float]:
    """(padding in image pixels, scale) of a box's crop."""
    font_px = max(box.font_px, 1)
    return max(4, round(box.font_px * PAD_EM)), min(
        max(font_px, MIN_FONT_PX), MAX_FONT_PX
    ) / font_px


def _ink_map(crop: Image.Image, text: RGB, background: RGB) -> Image.Image:
    """Project each pixel onto the background→text colour line: background white, text black."""
    delta = [t - b for t, b in zip(text, background, strict=True)]
    norm = sum(d * d for d in delta)
    if norm < MIN_INK_DISTANCE**2:
        gray = ImageOps.autocontrast(crop.convert("L"))
        return gray if sum(text) <= sum(background) else ImageOps.invert(gray)
    k = 255 / norm
    offset = 255 + k * sum(b * d for b, d in zip(background, delta, strict=True))
    return crop.convert("L", (-k * delta[0], -k * delta[1], -k * delta[2], offset))


def _stack(crops: Sequence[Image.Image]) -> tuple[Image.Image, list[int]]:
    """Crops stacked top to bottom on white; also each crop's band start (gap midpoints)."""
    width = max(crop.width for crop in crops) + 2 * GAP_PX
    height = sum(crop.height for crop in crops) + GAP_PX * (len(crops) + 1)
    stacked = Image.new("L", (width, height), 255)
    tops, y = [], GAP_PX
    for crop in crops:
        stacked.paste(crop, (GAP_PX, y))
        tops.append(y - GAP_PX // 2)
        y += crop.height + GAP_PX
    return stacked, tops


def _words(image: Image.Image, languages: str, psm: int) -> list[tuple[str, int, int, int, int]]:
    """(word, top, bottom, left, right) of the recognised words, in tesseract's reading order."""
    try:
        rows = tesseract.read(image, languages, psm)
    except tesseract.TesseractError as exc:
        raise OcrUnavailable(str(exc)) from None
    return [(r.text.strip(), r.top, r.top + r.height, r.left, r.left + r.width) for r in rows]


def _is_cjk(char: str) -> bool:
    """Wide characters: CJK ideographs, kana, hangul and full-width forms."""
    return unicodedata.east_asian_width(char) in "WF"

"""Seeded one-line garbles of a page plan, and image-model-like degradation, for bench_text_check.

A garble changes exactly one planned line (text_check.plan_slots) in one of MUTATIONS ways, so
the plan with the garble can be rendered and the slide checked against the original plan:

- swap: two neighbouring characters trade places
- delete: one character is left out
- insert: one character is added
- lookalike: one character becomes one that looks like it (己/已, 未/末, e/c, m/rn ...),
  never one of the look-alikes the check folds on purpose (textdiff.LOOK_ALIKES)
- word: one word (English) or two-character word (Chinese) becomes another
- drop: the line is left out (a child removed, any other line emptied)

Only letters and digits are changed (punctuation and spaces are not compared). Every garble
differs from the original after folding.
"""

from __future__ import annotations

import copy
import io
import random
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter

from generation.quality.text_check import Line, plan_slots
from generation.quality.textdiff import distance

MUTATIONS = ("swap", "delete", "insert", "lookalike", "word", "drop")
_PAIRS_ZH = "己已 未末 土士 人入 日曰 天夭 大太 王玉 刀力 干千 折拆 候侯 理埋 请清 线钱 见贝 问间 成戌 代伐 要耍 技枝 提捉 准淮 户尸 午牛 目且 白自 休体 儿几 今令 住往 码玛 限很 率窣"
_PAIRS_EN = "ec ce uv vu hb bh gq qg tf ft nh m:rn d:cl w:vv 8B 6b 2Z EF FE CG GC PR RP"
LOOK_ALIKE_TABLE: dict[str, str] = {}
for _pair in _PAIRS_ZH.split():
    LOOK_ALIKE_TABLE[_pair[0]], LOOK_ALIKE_TABLE[_pair[1]] = _pair[1], _pair[0]
for _pair in _PAIRS_EN.split():
    _a, _b = _pair.split(":") if ":" in _pair else (_pair[0], _pair[1])
    LOOK_ALIKE_TABLE[_a] = _b
FILLERS_ZH = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工能下过子说产种面而方后多定行学法所"
FILLERS_EN = "abcdefghjkmnpqrtuvwxyz"
WORDS_ZH = (
    "方法",
    "系统",
    "数据",
    "模型",
    "问题",
    "能力",
    "价格",
    "速度",
    "平台",
    "团队",
    "目标",
    "工具",
)
WORDS_EN = ("fast", "data", "team", "price", "model", "cloud", "rapid", "users", "growth", "plan")
MAX_TRIES = 30


@dataclass(frozen=True)
class Garble:
    kind: str  # one of MUTATIONS
    index: int  # the line's index in plan_lines(original plan)
    line: Line  # the original line
    shown: str  # the garbled text ("" for drop)
    plan: dict  # the plan with the garble, to render


def garble(
    plan: dict, kind: str, rng: random.Random, *, skip: frozenset[int] = frozenset()
) -> Garble | None:
    """One garble of one line of the plan (not of the lines in skip), or None when no line
    allows it."""
    slots = plan_slots(plan)
    order = [i for i in range(len(slots)) if i not in skip]
    rng.shuffle(order)
    for index in order:
        path, line = slots[index]
        if kind == "drop":
            if path == ("title",):
                continue
            return Garble(kind, index, line, "", _dropped(plan, path))
        for _ in range(MAX_TRIES):
            shown = _MUTATE[kind](line.text, rng)
            if shown is not None and distance(line.text, shown) > 0:
                return Garble(kind, index, line, shown, _replaced(plan, path, shown))
            if shown is None:
                break
    return None


def degrade(image: Image.Image, rng: random.Random) -> Image.Image:
    """The slide as an image model might deliver it: resampled, slightly blurred, a faint
    texture over the background, JPEG-compressed."""
    width, height = image.size
    scale = rng.uniform(0.55, 0.8)
    small = image.resize((round(width * scale), round(height * scale)), Image.Resampling.BILINEAR)
    out = small.resize((width, height), Image.Resampling.BICUBIC)
    out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    out = ImageChops.add(out, _texture(image.size, rng), 1.0, -128)
    buffer = io.BytesIO()
    out.save(buffer, "JPEG", quality=rng.randint(60, 85))
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _texture(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Soft grey blotches around 128 (seeded), to add to an image less 128."""
    small = (max(size[0] // 16, 1), max(size[1] // 16, 1))
    sigma = rng.uniform(3, 7)
    values = bytes(
        min(max(round(rng.gauss(128, sigma)), 0), 255) for _ in range(small[0] * small[1])
    )
    blotches = Image.frombytes("L", small, values).resize(size, Image.Resampling.BICUBIC)
    return blotches.convert("RGB")


def _positions(text: str) -> list[int]:
    return [i for i, ch in enumerate(text) if unicodedata.category(ch)[0] in "LN"]


def _is_cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _swap(text: str, rng: random.Random) -> str | None:
    letters = set(_positions(text))
    spots = [i for i in letters if i + 1 in letters and text[i] != text[i + 1]]
    if not spots:
        return None
    i = rng.choice(spots)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _delete(text: str, rng: random.Random) -> str | None:
    spots = _positions(text)
    if len(spots) < 2:
        return None
    i = rng.choice(spots)
    return text[:i] + text[i + 1 :]


def _insert(text: str, rng: random.Random) -> str | None:
    spots = _positions(text)
    if not spots:
        return None
    i = rng.choice([*spots, spots[-1] + 1])
    near = text[min(i, len(text) - 1)]
    filler = rng.choice(FILLERS_ZH if _is_cjk(near) else FILLERS_EN)
    return text[:i] + filler + text[i:]


def _lookalike(text: str, rng: random.Random) -> str | None:
    spots = [i for i in _positions(text) if text[i] in LOOK_ALIKE_TABLE]
    if not spots:
        return None
    i = rng.choice(spots)
    return text[:i] + LOOK_ALIKE_TABLE[text[i]] + text[i + 1 :]


def _word(text: str, rng: random.Random) -> str | None:
    spans = _words(text)
    if not spans:
        return None
    start, end = rng.choice(spans)
    cjk = _is_cjk(text[start])
    choices = [w for w in (WORDS_ZH if cjk else WORDS_EN) if w != text[start:end].lower()]
    return text[:start] + rng.choice(choices) + text[end:]


def _words(text: str) -> list[tuple[int, int]]:
    """(start, end) of the replaceable words: Latin words of 3+ letters, CJK character pairs."""
    spans, start = [], None
    for i, ch in enumerate([*text, " "]):
        latin = ch.isascii() and ch.isalpha()
        if latin and start is None:
            start = i
        elif not latin and start is not None:
            if i - start >= 3:
                spans.append((start, i))
            start = None
    cjk = [i for i, ch in enumerate(text) if _is_cjk(ch) and unicodedata.category(ch)[0] == "L"]
    spans += [(i, i + 2) for i in cjk if i + 1 in set(cjk)]
    return spans


_MUTATE = {
    "swap": _swap,
    "delete": _delete,
    "insert": _insert,
    "lookalike": _lookalike,
    "word": _word,
}


def _replaced(plan: dict, path: tuple, text: str) -> dict:
    new = copy.deepcopy(plan)
    target = new
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = text
    return new


def _dropped(plan: dict, path: tuple) -> dict:
    if path[-2:-1] == ("children",):
        new = copy.deepcopy(plan)
        del new["items"][path[1]]["children"][path[-1]]
        return new
    return _replaced(plan, path, "")

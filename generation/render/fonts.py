"""Font lookup for the slide renderer: Noto Sans CJK SC via fc-list, cached per size.

Falls back to DejaVu Sans and then to Pillow's built-in font (logging a warning once)
when the CJK face is not installed. A template may name other fonts (its `fonts`, e.g.
{"title": "Noto Serif CJK SC Bold", "body": "Noto Serif CJK SC"}): `installed_family` finds
the installed family a name means, and every lookup takes that family ("" for the default).
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass

from PIL import ImageFont

logger = logging.getLogger(__name__)

CJK_FAMILY = "Noto Sans CJK SC"
FALLBACK_FAMILY = "DejaVu Sans"
_FC_FORMAT = "%{file}|%{index}|%{family}|%{style}\n"
_BOLD_STYLES = frozenset({"bold"})
_REGULAR_STYLES = frozenset({"regular", "book"})
_EXTENT_SAMPLE = "中国（dgy"
_WEIGHT_SUFFIX = re.compile(
    r"\s+(?:bold|regular|medium|light|thin|black|heavy|semibold|extralight|book)$", re.I
)


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int
    family: str


def _fc_list(pattern: str) -> list[tuple[str, int, tuple[str, ...], tuple[str, ...]]]:
    """(file, index, families, styles) for every face fc-list reports for `pattern`."""
    if shutil.which("fc-list") is None:
        return []
    try:
        output = subprocess.run(
            ["fc-list", pattern, "-f", _FC_FORMAT],
            capture_output=True,
            check=True,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    faces = []
    for line in output.splitlines():
        parts = line.split("|")
        if len(parts) != 4 or not parts[1].isdigit():
            continue
        families = tuple(name.strip() for name in parts[2].split(","))
        styles = tuple(name.strip().lower() for name in parts[3].split(","))
        faces.append((parts[0], int(parts[1]), families, styles))
    return faces


def _pick(pattern: str, family: str, bold: bool) -> FontFace | None:
    wanted = _BOLD_STYLES if bold else _REGULAR_STYLES
    matches = sorted(
        (path, index)
        for path, index, families, styles in _fc_list(pattern)
        if family in families and wanted.intersection(styles)
    )
    return FontFace(matches[0][0], matches[0][1], family) if matches else None


@functools.lru_cache(maxsize=64)
def installed_family(name: str) -> str:
    """The installed family a template's font name means ("Noto Serif CJK SC Bold" → "Noto
    Serif CJK SC"), or "" (the default face) when no such family is installed."""
    family = _WEIGHT_SUFFIX.sub("", " ".join(str(name).split()))
    if not family or family == CJK_FAMILY:
        return ""
    if _pick(f":family={family}", family, False) is None:
        logger.warning("font %r is not installed; the default face is used instead", name)
        return ""
    return family


@functools.lru_cache(maxsize=16)
def font_face(bold: bool, family: str = "") -> FontFace | None:
    """The installed face to use (`family` if given and installed, else CJK, then DejaVu), or
    None for Pillow's default."""
    if family:
        face = _pick(f":family={family}", family, bold)
        if face is not None:
            return face
    face = _pick(":lang=zh", CJK_FAMILY, bold)
    if face is not None:
        return face
    _warn_missing_cjk()
    return _pick(f":family={FALLBACK_FAMILY}", FALLBACK_FAMILY, bold)


@functools.cache
def _warn_missing_cjk() -> None:
    logger.warning(
        "%s is not installed (fonts-noto-cjk); falling back to %s or Pillow's default font",
        CJK_FAMILY,
        FALLBACK_FAMILY,
    )


@functools.lru_cache(maxsize=512)
def get_font(px: int, bold: bool = False, family: str = "") -> ImageFont.FreeTypeFont:
    """The font at `px` pixels (cached: loading a face costs milliseconds)."""
    face = font_face(bold, family)
    if face is None:
        return ImageFont.load_default(size=px)
    return ImageFont.truetype(face.path, px, index=face.index)


@functools.lru_cache(maxsize=65536)
def advance(px: int, bold: bool, char: str, family: str = "") -> float:
    """Horizontal advance of one character, in pixels."""
    return get_font(px, bold, family).getlength(char)


@functools.lru_cache(maxsize=512)
def line_extents(px: int, bold: bool, family: str = "") -> tuple[int, int]:
    """(ascent, descent) of the ink above and below the baseline for CJK and Latin text."""
    _left, top, _right, bottom = get_font(px, bold, family).getbbox(_EXTENT_SAMPLE, anchor="ls")
    return -top, bottom

"""Automatic quality check of one rendered slide image, scored 0-10.

Checks, each reported in `SlideAssessment.metrics` (JSON) and, when it fails, as a hint:

- wrong_size: the image is not exactly the expected size.
- blank: grayscale standard deviation below BLANK_STDDEV, or one gray level covers at least
  BLANK_DOMINANT_FRACTION of the pixels.
- low_contrast: WCAG contrast of a box's text colour against the median colour of a ring
  around the box (RING_GAP_PX..RING_GAP_PX + RING_WIDTH_PX outside it) is below the AA minimum
  of `generation.wcag` (4.5, or 3.0 for large text: >= 24 pt, or bold and >= 18.67 pt).
- overflow: a box reaches outside the safe box (the image when there is none) by more than
  OVERFLOW_TOLERANCE_PX.
- font_too_small: a title is below 24 pt, any other box below 18 pt (`generation.wcag`; pt via
  px_per_pt).
- ocr_mismatch: a planned line is not on the slide exactly (one wrong character after folding
  look-alikes, a missing or truncated line), see `text_check`.

The expected lines are the page plan's (`text_check.plan_lines`); without them, the boxes' own
texts. Without boxes (an image from a remote model) the box checks are null, and OCR finds
the text regions in the image and reads them one by one, see `slide_check`.

Score, with the weights in WEIGHTS:

    deduction per failing check = check
                                  + severity * worst shortfall            (contrast, font size)
                                  + min(extra_box * (failing boxes - 1), extra_box_cap)
      contrast shortfall = (required - ratio) / (required - 1), font shortfall = (min - pt) / min
    plus, whenever OCR ran, ocr_cer weight * min(ocr_cer, 1)
    score = clamp(10 - sum of deductions, 0, 10), times gate_factor when wrong size or blank

So a clean render scores >= 8.5, one failing check at most 6, two failing checks at most 2,
and a wrong-size or blank image at most 1. The score never rises as any metric gets worse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageColor, ImageStat

from generation.quality.ocr import RGB, OcrUnavailable, languages_for
from generation.quality.slide_check import check_slide
from generation.quality.text_check import Line, LineResult, box_lines, check_boxes
from generation.slides import TextBox, px_per_pt
from generation.wcag import contrast_ratio, min_font_pt, required_contrast

WEIGHTS = {
    "check": 4.0,  # any failing check (low contrast, overflow, small font, OCR mismatch)
    "extra_box": 0.5,  # each further failing box of the same check ...
    "extra_box_cap": 1.5,  # ... up to this much per check
    "contrast_severity": 2.0,  # times the worst relative contrast shortfall (0-1)
    "font_severity": 2.0,  # times the worst relative font size shortfall (0-1)
    "ocr_cer": 5.0,  # times the overall character error rate (capped at 1)
    "gate_factor": 0.1,  # wrong size or blank: the score is scaled into 0-1
}
HINTS = ("wrong_size", "blank", "low_contrast", "overflow", "font_too_small", "ocr_mismatch")

BLANK_STDDEV = 3.0
BLANK_DOMINANT_FRACTION = 0.999
RING_GAP_PX = 2
RING_WIDTH_PX = 6
OVERFLOW_TOLERANCE_PX = 2

BOX_METRICS = (
    "contrast_min",
    "contrast_per_box",
    "low_contrast_boxes",
    "contrast_shortfall",
    "overflow_boxes",
    "min_font_pt",
    "small_font_boxes",
    "font_shortfall",
)
OCR_METRICS = ("ocr_cer", "ocr_boxes", "ocr_mismatch_boxes", "ocr_seconds", "ocr_languages")

_Inked = tuple[TextBox, tuple[RGB, RGB]]  # a box with its (text colour, background colour)


@dataclass
class SlideAssessment:
    """The result of assess_slide().

    metrics keys: size_ok, blank, pixel_stddev, dominant_fraction; box checks (null without
    boxes): contrast_min, contrast_per_box, low_contrast_boxes, contrast_shortfall,
    overflow_boxes, min_font_pt, small_font_boxes, font_shortfall; OCR (null when skipped):
    ocr_cer, ocr_boxes (one per expected line: {role, expected, got, distance, cer, diff,
    failed}), ocr_mismatch_boxes (failing lines), ocr_seconds,
    ocr_languages, and ocr_skipped (the reason, else null); deductions {check: points};
    check_seconds (the whole assessment, OCR included).
    """

    score: float  # 0-10, rounded to 2 decimals
    metrics: dict  # JSON-serialisable
    hints: list[str]  # a subset of HINTS, in that order


def assess_slide(
    image: Image.Image,
    *,
    expected_size: tuple[int, int],
    boxes: list[TextBox] | None,
    safe_box: tuple[int, int, int, int] | None,
    expected_lines: list[Line] | None = None,
    ocr: bool = True,
    ocr_languages: str = "chi_sim+eng",
) -> SlideAssessment:
    """Check a rendered slide; boxes say where to read the expected lines, when given."""
    started = time.perf_counter()
    rgb = image if image.mode == "RGB" else image.convert("RGB")  # read only: no copy needed
    metrics: dict = {"size_ok": rgb.size == tuple(expected_size), **_blank_metrics(rgb)}
    inked = None if boxes is None else [(box, _ink(rgb, box)) for box in boxes]
    if inked is None:
        metrics.update(dict.fromkeys(BOX_METRICS))
    else:
        metrics.update(_box_metrics(rgb, inked, safe_box))
    if not ocr:
        metrics.update(_ocr_skipped("disabled"))
    elif metrics["blank"]:
        metrics.update(_ocr_skipped("blank image"))
    else:
        metrics.update(_ocr_metrics(rgb, inked, expected_lines, ocr_languages))
    score, metrics["deductions"] = score_metrics(metrics)
    metrics["check_seconds"] = round(time.perf_counter() - started, 4)
    return SlideAssessment(score=score, metrics=metrics, hints=hints_for(metrics))


def score_metrics(metrics: dict) -> tuple[float, dict[str, float]]:
    """(score, deduction per check) from the metrics, see the module docstring."""
    deductions = {
        "low_contrast": _deduction(
            metrics["low_contrast_boxes"], "contrast_severity", metrics["contrast_shortfall"]
        ),
        "overflow": _deduction(metrics["overflow_boxes"]),
        "font_too_small": _deduction(
            metrics["small_font_boxes"], "font_severity", metrics["font_shortfall"]
        ),
        "ocr_mismatch": _deduction(metrics["ocr_mismatch_boxes"]),
        "ocr_cer": WEIGHTS["ocr_cer"] * min(metrics["ocr_cer"] or 0.0, 1.0),
    }
    score = min(max(10.0 - sum(deductions.values()), 0.0), 10.0)
    if not metrics["size_ok"] or metrics["blank"]:
        score *= WEIGHTS["gate_factor"]
    return round(score, 2), {name: round(value, 2) for name, value in deductions.items() if value}


def hints_for(metrics: dict) -> list[str]:
    """The hints of the failing checks, in HINTS order."""
    failing = {
        "wrong_size": not metrics["size_ok"],
        "blank": metrics["blank"],
        "low_contrast": bool(metrics["low_contrast_boxes"]),
        "overflow": bool(metrics["overflow_boxes"]),
        "font_too_small": bool(metrics["small_font_boxes"]),
        "ocr_mismatch": bool(metrics["ocr_mismatch_boxes"]),
    }
    return [hint for hint in HINTS if failing[hint]]


def ring_median(image: Image.Image, box: TextBox) -> RGB:
    """Median colour (per channel) of the ring of pixels just around a box."""
    inner = _clip(image, _grow(box, RING_GAP_PX))
    outer = _clip(image, _grow(box, RING_GAP_PX + RING_WIDTH_PX))
    strips = (
        (outer[0], outer[1], outer[2], inner[1]),
        (outer[0], inner[3], outer[2], outer[3]),
        (outer[0], inner[1], inner[0], inner[3]),
        (inner[2], inner[1], outer[2], inner[3]),
    )
    histograms = [image.crop(s).histogram() for s in strips if s[2] > s[0] and s[3] > s[1]]
    if not histograms:
        histograms = [image.crop(_clip(image, _grow(box, 0))).histogram()]
    # Per channel (three runs of 256 counts): the first level whose running count reaches
    # half of the channel's pixels.
    counts = np.sum(np.array(histograms, dtype=np.int64), axis=0).reshape(3, 256)
    reached = counts.cumsum(axis=1) >= counts.sum(axis=1, keepdims=True) / 2
    red, green, blue = (int(level) for level in reached.argmax(axis=1))
    return red, green, blue


def _blank_metrics(rgb: Image.Image) -> dict:
    histogram = rgb.convert("L").histogram()
    stddev = ImageStat.Stat(histogram).stddev[0]
    dominant = max(histogram) / (rgb.width * rgb.height)
    blank = stddev < BLANK_STDDEV or dominant >= BLANK_DOMINANT_FRACTION
    return {
        "blank": blank,
        "pixel_stddev": round(stddev, 2),
        "dominant_fraction": round(dominant, 4),
    }


def _ink(rgb: Image.Image, box: TextBox) -> tuple[RGB, RGB]:
    """(text colour, background colour) of a box."""
    return ImageColor.getrgb(box.color)[:3], ring_median(rgb, box)


def _box_metrics(
    rgb: Image.Image, inked: list[_Inked], safe_box: tuple[int, int, int, int] | None
) -> dict:
    boxes = [box for box, _ in inked]
    scale = px_per_pt(*rgb.size)
    sizes_pt = [box.font_px / scale for box in boxes]
    ratios = [contrast_ratio(text, background) for _, (text, background) in inked]
    contrast_gaps = [
        _shortfall(ratio, required_contrast(pt, bold=box.bold), floor=1.0)
        for box, pt, ratio in zip(boxes, sizes_pt, ratios, strict=True)
    ]
    font_gaps = [
        _shortfall(pt, min_font_pt(box.role)) for box, pt in zip(boxes, sizes_pt, strict=True)
    ]
    limits = safe_box or (0, 0, rgb.width, rgb.height)
    return {
        "contrast_min": round(min(ratios), 2) if ratios else None,
        "contrast_per_box": [round(ratio, 2) for ratio in ratios],
        "low_contrast_boxes": sum(gap > 0 for gap in contrast_gaps),
        "contrast_shortfall": round(max(contrast_gaps, default=0.0), 3),
        "overflow_boxes": sum(_outside(box, limits) for box in boxes),
        "min_font_pt": round(min(sizes_pt), 1) if sizes_pt else None,
        "small_font_boxes": sum(gap > 0 for gap in font_gaps),
        "font_shortfall": round(max(font_gaps, default=0.0), 3),
    }


def _ocr_metrics(
    rgb: Image.Image, inked: list[_Inked] | None, lines: list[Line] | None, languages: str
) -> dict:
    started = time.perf_counter()
    if lines is None:
        lines = box_lines([box for box, _ in inked or []])
    if not lines:
        return _ocr_skipped("no text to read")
    requested, languages = languages, languages_for([line.text for line in lines], languages)
    try:
        if inked is not None:

            def by_rows(box: TextBox, line: Line) -> LineResult:
                return _rows(rgb, box, line, languages, requested)

            results = check_boxes(
                rgb, inked, lines, languages, reread_languages=requested, by_rows=by_rows
            )
        else:
            results = check_slide(rgb, lines, languages, reread_languages=requested)
    except OcrUnavailable as exc:
        return _ocr_skipped(str(exc))
    total = sum(len(result.comparison.expected) for result in results)
    return {
        "ocr_cer": round(sum(result.comparison.distance for result in results) / total, 4),
        "ocr_boxes": [result.to_dict() for result in results],
        "ocr_mismatch_boxes": sum(result.failed for result in results),
        "ocr_seconds": round(time.perf_counter() - started, 4),
        "ocr_languages": languages,
        "ocr_skipped": None,
    }


def _rows(rgb: Image.Image, box: TextBox, line: Line, languages: str, requested: str) -> LineResult:
    """A line checked in its box's area read region by region, as a slide without boxes is
    (slide_check): each row its own crop, the line passing when its rows' readings put together
    read it exactly. The area is read where it is on a slide of its own, the rest in the box's
    background colour (regions are judged by their share of the slide: a row is no picture)."""
    pad = max(RING_GAP_PX, round(box.font_px / 2))
    area = (
        max(box.x - pad, 0),
        max(box.y - pad, 0),
        min(box.x + box.w + pad, rgb.width),
        min(box.y + box.h + pad, rgb.height),
    )
    area_only = Image.new("RGB", rgb.size, _ink(rgb, box)[1])
    if area[0] < area[2] and area[1] < area[3]:  # else the box lies off the image: nothing to read
        area_only.paste(rgb.crop(area), area[:2])
    return check_slide(area_only, [line], languages, reread_languages=requested, alone=True)[0]


def _ocr_skipped(reason: str) -> dict:
    return {**dict.fromkeys(OCR_METRICS), "ocr_skipped": reason}


def _deduction(failing: int | None, severity: str | None = None, shortfall: float = 0.0) -> float:
    if not failing:
        return 0.0
    extra = min(WEIGHTS["extra_box"] * (failing - 1), WEIGHTS["extra_box_cap"])
    return WEIGHTS["check"] + (WEIGHTS[severity] * shortfall if severity else 0.0) + extra


def _shortfall(value: float, required: float, floor: float = 0.0) -> float:
    """How far value falls below required, relative to the distance from floor (0-1)."""
    return min(max((required - value) / (required - floor), 0.0), 1.0)


def _outside(box: TextBox, limits: tuple[int, int, int, int]) -> bool:
    x0, y0, x1, y1 = limits
    tolerance = OVERFLOW_TOLERANCE_PX
    return (
        box.x < x0 - tolerance
        or box.y < y0 - tolerance
        or box.x + box.w > x1 + tolerance
        or box.y + box.h > y1 + tolerance
    )


def _grow(box: TextBox, margin: int) -> tuple[int, int, int, int]:
    return box.x - margin, box.y - margin, box.x + box.w + margin, box.y + box.h + margin


def _clip(image: Image.Image, rect: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = rect
    x0, y0 = min(max(x0, 0), image.width), min(max(y0, 0), image.height)
    return x0, y0, min(max(x1, x0), image.width), min(max(y1, y0), image.height)

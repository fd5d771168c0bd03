"""Page kinds other than content pages: cover, contents and section transition.

Ending and image pages are drawn as covers (the batch's photo, if any, on the cover only). Each function draws its page and returns the name
of the layout it used; `PAGE_KINDS` maps a page plan's kind to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from generation.render.canvas import Slide
from generation.render.frame import clear_half_width, content_area, image_background
from generation.render.geometry import box_height, box_width, centred, group_height, moved, offset
from generation.render.parts import marker_size
from generation.render.shapes import cover_crop, fill, tint
from generation.render.text import Block, bounds, break_at, layout, stack

PAGE_LAYOUTS = ("cover", "contents", "transition")


def cover(slide: Slide) -> str:
    image_background(slide)
    _x0, y0, _x1, y1 = slide.safe
    subtitle = str(slide.plan.get("subtitle") or "").strip()

    def attempt_in(left: int, width: int) -> Callable[[float], tuple[list[Block], bool]]:
        def attempt(factor: float) -> tuple[list[Block], bool]:
            theme = slide.theme
            title = slide.part("cover_title", slide.title, factor, theme.primary, align="center")
            part = slide.part(
                "cover_subtitle", subtitle, factor, theme.muted, align="center", space=1.6
            )
            # The ending page lists the sections "A · B · C": lines break between them.
            blocks = stack([title, break_at(part, " · ", width)], left, 0, width)
            return blocks, group_height(blocks) <= round((y1 - y0) * 0.72)

        return attempt

    for column in _cover_columns(slide):
        slide.overflow = False
        blocks = slide.fit(attempt_in(*column[:2]))
        if not slide.overflow:
            break
    centre = column[2]
    if not blocks:
        return "cover"
    top = slide.vunit(0.47) - group_height(blocks) // 2
    blocks = moved(blocks, 0, top)
    _cover_panel(slide, blocks, centre)
    slide.blocks.extend(blocks)
    return "cover"


def _cover_columns(slide: Slide) -> list[tuple[int, int, int]]:
    """(left, width, centre) of the cover's text, best first: beside the batch's photo on the
    left half of the slide when there is one (the photo fills the right, inside the safe
    area); otherwise centred, clear of the template's decorations, then (for text that does
    not fit there) as wide as the slide allows, behind the scrim panel."""
    x0, y0, x1, y1 = slide.safe
    photo = slide.theme.photo if slide.plan.get("kind") == "cover" else None
    if photo is None:
        widest = round((x1 - x0) * 0.84)
        clear = _clear_cover_width(slide, widest)
        return [
            (slide.w // 2 - width // 2, width, slide.w // 2)
            for width in dict.fromkeys((clear, widest))
        ]
    split = x0 + (x1 - x0) // 2
    box = (split + slide.unit(0.055), y0, x1, y1)
    size = (box[2] - box[0], box[3] - box[1])
    if slide.draws:
        slide.image.paste(cover_crop(photo, size), box[:2])
    bar = max(4, slide.vunit(0.008))
    fill(slide, (box[0], box[3] - bar, box[2], box[3]), slide.theme.accent)
    return [(x0, split - x0, (x0 + split) // 2)]


def _clear_cover_width(slide: Slide, widest: int) -> int:
    """The cover text's width: `widest`, narrowed so that it stays clear of the decorations
    of the template's reference image in the rows the text may take; a background busy
    everywhere near the centre (a photo, a texture) keeps `widest` behind the scrim panel."""
    if slide.theme.reference_image is None:
        return widest
    _x0, y0, _x1, y1 = slide.safe
    reach = round((y1 - y0) * 0.36)
    rows = (slide.vunit(0.47) - reach, slide.vunit(0.47) + reach)
    half = clear_half_width(slide, slide.w // 2, rows, widest // 2) - slide.unit(0.03)
    return widest if half * 2 < widest * 0.5 else half * 2


def _cover_panel(slide: Slide, blocks: list[Block], centre: int) -> None:
    x0, y0, x1, y1 = bounds(blocks)
    pad_x, pad_y = slide.unit(0.05), slide.vunit(0.07)
    panel = (
        max(0, x0 - pad_x),
        max(0, y0 - pad_y),
        min(slide.w, x1 + pad_x),
        min(slide.h, y1 + pad_y),
    )
    alpha = slide.scrim("cover")
    if alpha > 0:
        fill(slide, panel, slide.theme.background, radius=slide.unit(0.012), alpha=alpha)
    if len(blocks) > 1:
        bar_h = max(3, slide.vunit(0.007))
        middle = (blocks[0].bottom + blocks[1].box[1]) // 2
        bar = (
            centre - slide.unit(0.03),
            middle - bar_h // 2,
            centre + slide.unit(0.03),
            middle - bar_h // 2 + bar_h,
        )
        fill(slide, bar, slide.theme.accent, radius=bar_h // 2)


def transition(slide: Slide) -> str:
    image_background(slide)
    x0, y0, _x1, y1 = slide.safe
    panel_right = slide.unit(0.56)
    width = panel_right - x0 - slide.unit(0.04)
    index = int(slide.plan.get("section_index") or 0)
    label = str(slide.plan.get("subtitle") or "").strip()

    def attempt(factor: float) -> tuple[list[Block], bool]:
        theme = slide.theme
        parts = [
            slide.part("section_number", f"{index:02d}" if index > 0 else "", factor, theme.accent),
            slide.part("section_label", label, factor, theme.muted, space=0.9),
            slide.part("section_title", slide.title, factor, theme.primary, space=0.5),
        ]
        blocks = stack(parts, x0, 0, width)
        return blocks, group_height(blocks) <= y1 - y0

    blocks = slide.fit(attempt)
    alpha = slide.scrim("transition")
    if alpha > 0:
        fill(slide, (0, 0, panel_right, slide.h), slide.theme.background, alpha=alpha)
        fill(
            slide,
            (panel_right, 0, panel_right + max(4, slide.unit(0.006)), slide.h),
            slide.theme.accent,
        )
    if blocks:
        top = y0 + ((y1 - y0) - group_height(blocks)) // 2
        slide.blocks.extend(moved(blocks, 0, top))
    return "transition"


def contents(slide: Slide) -> str:
    ax, ay, ax1, ay1 = content_area(slide)
    items = slide.items
    if not items:
        return "contents"
    columns = 2 if len(items) > 5 else 1
    rows = math.ceil(len(items) / columns)
    gap = slide.unit(0.04)
    col_w = ((ax1 - ax) - gap * (columns - 1)) // columns
    row_cap = (ay1 - ay) // rows

    def attempt(factor: float) -> tuple[tuple[float, int, int, list[Block]], bool]:
        badge = marker_size(slide, factor, numbered=True)
        text_w = col_w - badge - slide.unit(0.018)
        theme = slide.theme
        blocks = [
            layout(slide.part("heading", item.title or item.text, factor, theme.text), 0, 0, text_w)
            for item in items
        ]
        pitch = min(row_cap, round(badge * 1.8))
        tallest = max(badge, *(box_height(block.box) for block in blocks))
        return (factor, badge, pitch, blocks), tallest <= pitch - slide.vunit(0.02)

    factor, badge, pitch, blocks = slide.fit(attempt)
    top = ay + offset((ay1 - ay) - pitch * rows, 0.35)
    for index, block in enumerate(blocks):
        column, row = divmod(index, rows)
        cell = (ax + column * (col_w + gap), top + row * pitch, col_w, pitch)
        _contents_row(slide, cell, badge, factor, index, block)
    return "contents"


def _contents_row(
    slide: Slide,
    cell: tuple[int, int, int, int],
    badge: int,
    factor: float,
    index: int,
    block: Block,
) -> None:
    """One numbered section row; `cell` is (x, y, width, height)."""
    x, y, width, pitch = cell
    badge_top = y + (pitch - badge) // 2
    badge_box = (x, badge_top, x + badge, badge_top + badge)
    fill(slide, badge_box, slide.theme.accent, radius=max(2, badge // 5))
    fill(slide, (x, y + pitch - 1, x + width, y + pitch), tint(slide, 0.16))
    number = slide.part(
        "number", f"{index + 1:02d}", factor, slide.theme.background, align="center"
    )
    slide.blocks.append(centred(layout(number, 0, 0, badge), badge_box))
    text_x = x + badge + slide.unit(0.018)
    slide.blocks.append(centred(block, (text_x, y, text_x + box_width(block.box), y + pitch)))


PAGE_KINDS: dict[str, Callable[[Slide], str]] = {
    "cover": cover,
    "ending": cover,
    "image": cover,
    "contents": contents,
    "transition": transition,
}

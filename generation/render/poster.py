"""The local provider's single images: the offline stand-in for an image model, not one.

Text mode draws a typographic poster of the prompt in the template's style (its palette and
fonts; Chinese and English wrapped by render/text.py). Image mode restyles the uploaded
picture: cropped to the requested aspect ratio, toned towards the template's palette, with
the prompt as a caption. Both say what they are in a small label at the foot.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw, ImageOps

from generation.render.colour import backgrounds_under, mix, readable, required_contrast, to_rgb
from generation.render.text import Block, Part, draw, layout
from generation.slides import RenderResult, Theme, px_per_pt
from generation.wcag import MIN_BODY_PT, MIN_TITLE_PT

LABEL = {
    ("zh", "poster"): "nanodeck 本地海报 · 非 AI 生成",
    ("en", "poster"): "nanodeck local poster · not an AI image",
    ("zh", "restyle"): "nanodeck 本地改色 · 非 AI 生成",
    ("en", "restyle"): "nanodeck local restyle · not an AI image",
}
TONE = 0.45  # how much of the palette's tone goes over an uploaded picture
MAX_CAPTION_CHARS = 160


def draw_poster(
    prompt: str,
    theme: Theme,
    size: tuple[int, int],
    *,
    language: str,
    photo: Image.Image | None = None,
    contrast: str = "auto",
) -> RenderResult:
    """A poster of `prompt` (text mode), or `photo` restyled with it as a caption (image
    mode), of exactly `size`, with the text boxes as drawn."""
    width, height = size
    ppt = px_per_pt(width, height)
    margin = round(min(width, height) * 0.07)
    safe = (margin, margin, width - margin, height - margin)
    label_px = math.ceil(MIN_BODY_PT * ppt) + 1
    label_top = height - margin - round(label_px * 1.3)
    if photo is None:
        kind, image = "poster", _backdrop(theme, size, rule_y=label_top - label_px)
        area = (margin, margin + round(height * 0.06), width - margin, label_top - 2 * label_px)
        text = _fitted(prompt, theme, area, ppt)
    else:
        kind, image = "restyle", _toned(photo, theme, size)
        caption = prompt if len(prompt) <= MAX_CAPTION_CHARS else prompt[:MAX_CAPTION_CHARS] + "…"
        text = _caption(caption, theme, image, (margin, label_top - label_px // 2), ppt)
    words = LABEL.get((language, kind), LABEL[("en", kind)])
    label_part = Part(words, "label", label_px, color=theme.muted, family=theme.body_font)
    label = layout(label_part, margin, label_top, width - 2 * margin)
    blocks = [_readable(image, block, contrast) for block in (text, label) if block.lines]
    canvas = ImageDraw.Draw(image)
    for block in blocks:
        draw(canvas, block)
    return RenderResult(
        image=image,
        boxes=[block.text_box() for block in blocks],
        safe_box=safe,
        layout=kind,
        overflow=any(block.box[3] > safe[3] for block in blocks),
        font_scale=1.0,
    )


def _backdrop(theme: Theme, size: tuple[int, int], *, rule_y: int) -> Image.Image:
    """The template's background with a primary band at the top and an accent rule at
    `rule_y`, above the label."""
    width, height = size
    image = Image.new("RGB", size, to_rgb(theme.background))
    canvas = ImageDraw.Draw(image)
    band = round(height * 0.035)
    canvas.rectangle((0, 0, width, band), fill=to_rgb(theme.primary))
    margin = round(min(width, height) * 0.07)
    canvas.rectangle(
        (margin, rule_y, margin + round(width * 0.18), rule_y + max(4, band // 4)),
        fill=to_rgb(theme.accent),
    )
    return image


def _fitted(prompt: str, theme: Theme, box: tuple[int, int, int, int], ppt: float) -> Block:
    """The prompt as large as fits in `box` (never below the title minimum), centred there."""
    x0, y0, x1, y1 = box
    smallest = math.ceil(MIN_TITLE_PT * ppt) + 1
    px = max(smallest, round((y1 - y0) * 0.16))
    while True:
        part = Part(
            prompt,
            "title",
            px,
            bold=True,
            color=theme.primary,
            leading=1.25,
            family=theme.title_font,
        )
        block = layout(part, x0, y0, x1 - x0)
        if block.box[3] <= y1 or px <= smallest:
            break
        px = max(smallest, round(px * 0.9))
    free = max(0, (y1 - y0) - (block.box[3] - block.box[1]))
    return block.moved(0, round(free * 0.4))


def _toned(photo: Image.Image, theme: Theme, size: tuple[int, int]) -> Image.Image:
    """The picture cropped to `size`'s aspect ratio, its tones mapped between the palette's
    text and background colours and blended over the original."""
    fitted = ImageOps.fit(photo.convert("RGB"), size, Image.Resampling.LANCZOS)
    duotone = ImageOps.colorize(
        fitted.convert("L"),
        black=to_rgb(mix(theme.text, theme.primary, 0.5)),
        white=to_rgb(theme.background),
    )
    return Image.blend(fitted, duotone, TONE)


def _caption(
    caption: str, theme: Theme, image: Image.Image, where: tuple[int, int], ppt: float
) -> Block:
    """The caption, its last line ending at where[1], on a panel of the template's
    background colour that runs to the foot (under the label)."""
    margin, bottom = where
    px = math.ceil(MIN_TITLE_PT * ppt) + 2
    part = Part(caption, "subtitle", px, bold=True, color=theme.primary, family=theme.title_font)
    block = layout(part, margin, 0, image.width - 2 * margin)
    top = bottom - (block.box[3] - block.box[1])
    block = block.moved(0, top - block.box[1])
    pad = round(px * 0.6)
    panel = (0, top - pad, image.width, image.height)
    ImageDraw.Draw(image).rectangle(panel, fill=to_rgb(theme.background))
    return block


def _readable(image: Image.Image, block: Block, contrast: str) -> Block:
    minimum = required_contrast(block.part.px, block.part.bold, image.size)
    colours = backgrounds_under(image, block.box)
    return block.recoloured(readable(block.part.color, colours, minimum, contrast))

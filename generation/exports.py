"""Deck exports: PPTX (image per slide, or editable text over a text-free background), PDF, ZIP."""

from __future__ import annotations

import io
import zipfile

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt

from generation.errors import InvalidInput
from generation.images import open_rgb
from generation.models import Batch, Page, PageStatus, StepRun
from generation.render.renderer import render_slide
from generation.slides import TextBox, px_per_pt
from generation.steps import load_theme

EMU_PER_PT = 12700
FORMATS = ("pptx", "pptx-editable", "pdf", "zip")
_ALIGN = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}


def exportable_pages(batch: Batch) -> list[Page]:
    return list(batch.pages.filter(status=PageStatus.COMPLETED).exclude(image="").order_by("index"))


def _read(page: Page) -> bytes:
    with page.image.open("rb") as handle:
        return handle.read()


def _presentation(batch: Batch) -> tuple[Presentation, float]:
    width, height = batch.size
    scale = px_per_pt(width, height)
    deck = Presentation()
    deck.slide_width = Emu(round(width / scale * EMU_PER_PT))
    deck.slide_height = Emu(round(height / scale * EMU_PER_PT))
    return deck, scale


def _blank_slide(deck: Presentation, page: Page):
    slide = deck.slides.add_slide(deck.slide_layouts[6])
    slide.notes_slide.notes_text_frame.text = page.description
    return slide


def export_pptx(batch: Batch) -> bytes:
    """One full-bleed image per page; the page description in the speaker notes."""
    deck, _ = _presentation(batch)
    for page in exportable_pages(batch):
        slide = _blank_slide(deck, page)
        slide.shapes.add_picture(io.BytesIO(_read(page)), 0, 0, deck.slide_width, deck.slide_height)
    return _save(deck)


def export_pptx_editable(batch: Batch) -> bytes:
    """Titles and items as native text boxes over a text-free background.

    Works for pages drawn by the local renderer (their text layout is known); pages from an
    image model have no layout, so they fall back to the full image.
    """
    deck, scale = _presentation(batch)
    theme = load_theme(batch.template_snapshot)
    for page in exportable_pages(batch):
        slide = _blank_slide(deck, page)
        render = StepRun.objects.get(page=page, step="render", selected=True)
        boxes = render.output_data.get("boxes")
        if render.provider != "local" or boxes is None:
            slide.shapes.add_picture(
                io.BytesIO(_read(page)), 0, 0, deck.slide_width, deck.slide_height
            )
            continue
        background = render_slide(
            page.plan, theme, batch.size, render.params, draw_text=False
        ).image
        buffer = io.BytesIO()
        background.save(buffer, "PNG")
        buffer.seek(0)
        slide.shapes.add_picture(buffer, 0, 0, deck.slide_width, deck.slide_height)
        for box in boxes:
            _add_text(
                slide, TextBox.from_dict(box), scale, batch.template_snapshot.get("fonts", {})
            )
    return _save(deck)


def _add_text(slide, box: TextBox, scale: float, fonts: dict) -> None:
    """A native text box holding the renderer's own lines, so nothing reflows whatever the
    viewer's font metrics: the box does not wrap and sits where the renderer drew the text."""

    def emu(px: float) -> Emu:
        return Emu(round(px / scale * EMU_PER_PT))

    # Hardly any slack: with wrapping off, slightly wider glyphs in another viewer just run past
    # the edge, while a wide box would let some viewers centre the text inside it.
    slack = box.w * 0.02 + 2
    left = box.x - {"center": slack / 2, "right": slack}.get(box.align, 0)
    shape = slide.shapes.add_textbox(
        emu(left), emu(box.y), emu(box.w + slack), emu(box.h + box.font_px * 0.3)
    )
    frame = shape.text_frame
    frame.word_wrap = False
    frame.vertical_anchor = MSO_ANCHOR.TOP
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
    paragraph = frame.paragraphs[0]
    paragraph.alignment = _ALIGN.get(box.align, PP_ALIGN.LEFT)
    # The family, not a face name: bold comes from the run's bold flag.
    typeface = fonts.get(
        "title" if box.role == "title" else "body", "Noto Sans CJK SC"
    ).removesuffix(" Bold")
    for number, line in enumerate(box.lines or (box.text,)):
        if number:
            paragraph.add_line_break()
        _add_run(paragraph, line, box, scale, typeface)


def _add_run(paragraph, text: str, box: TextBox, scale: float, typeface: str) -> None:
    run = paragraph.add_run()
    run.text = text
    font = run.font
    font.size = Pt(round(box.font_px / scale, 1))
    font.bold = box.bold
    font.color.rgb = RGBColor.from_string(box.color.lstrip("#").upper())
    font.name = typeface
    r_pr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        element = r_pr.find(qn(tag))
        if element is None:
            element = etree.SubElement(r_pr, qn(tag))
        element.set("typeface", typeface)


def _save(deck: Presentation) -> bytes:
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def export_pdf(batch: Batch) -> bytes:
    images = [open_rgb(page.image) for page in exportable_pages(batch)]
    buffer = io.BytesIO()
    width, height = batch.size
    dpi = px_per_pt(width, height) * 72
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buffer.getvalue()


def export_zip(batch: Batch) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for page in exportable_pages(batch):
            archive.writestr(f"slide-{page.index:02d}.png", _read(page))
    return buffer.getvalue()


def export_deck(batch: Batch, fmt: str) -> bytes:
    """Build the deck in `fmt` (one of FORMATS) from the batch's completed pages."""
    if fmt not in EXPORTERS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", details={"format": fmt})
    if not exportable_pages(batch):
        raise InvalidInput("the batch has no completed page to export yet")
    return EXPORTERS[fmt](batch)


EXPORTERS = {
    "pptx": export_pptx,
    "pptx-editable": export_pptx_editable,
    "pdf": export_pdf,
    "zip": export_zip,
}
CONTENT_TYPES = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx-editable": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
    "zip": "application/zip",
}

"""Deck exports: PPTX (image per slide, or editable text over a text-free background), PDF, ZIP.

Every format is written into a file (a temporary one for downloads) one page at a time, with
one page's image in memory at most. The page limit bounds how long an export takes.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from typing import BinaryIO

from lxml import etree
from PIL import Image
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt

from generation.errors import InvalidInput
from generation.images import open_rgb
from generation.models import Batch, Page, PageStatus, StepRun
from generation.pipeline.steps.common import load_theme
from generation.render.renderer import render_slide
from generation.slides import TextBox, px_per_pt

EMU_PER_PT = 12700
FORMATS = ("pptx", "pptx-editable", "pdf", "zip")
_ALIGN = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}


def exportable_pages(batch: Batch) -> list[Page]:
    return list(batch.pages.filter(status=PageStatus.COMPLETED).exclude(image="").order_by("index"))


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


class _StoredPictures:
    """python-pptx keeps every picture in memory until it saves the deck. Each slide gets a
    unique 1x1 placeholder instead, and the saved file is copied into `out` with every
    placeholder replaced by the page's stored PNG, streamed from storage one at a time."""

    def __init__(self) -> None:
        self.sources: dict[str, Callable[[], BinaryIO]] = {}

    def add(self, deck: Presentation, slide, page: Page) -> None:
        n = len(self.sources)  # a distinct pixel per slide: python-pptx shares equal images
        placeholder = io.BytesIO()
        Image.new("RGB", (1, 1), (n >> 16 & 255, n >> 8 & 255, n & 255)).save(placeholder, "PNG")
        picture = slide.shapes.add_picture(placeholder, 0, 0, deck.slide_width, deck.slide_height)
        # python-pptx has no public way to the picture's image part
        part = slide.part.related_part(picture._element.blip_rId)  # noqa: SLF001
        self.sources[part.partname.lstrip("/")] = lambda: page.image.open("rb")

    def save(self, deck: Presentation, out: BinaryIO) -> None:
        with tempfile.TemporaryFile() as draft:
            deck.save(draft)
            with zipfile.ZipFile(draft) as source, zipfile.ZipFile(out, "w") as target:
                for entry in source.infolist():
                    if entry.filename not in self.sources:
                        target.writestr(entry, source.read(entry))
                        continue
                    stored = zipfile.ZipInfo(entry.filename, entry.date_time)
                    stored.compress_type = entry.compress_type
                    with self.sources[entry.filename]() as image, target.open(stored, "w") as to:
                        shutil.copyfileobj(image, to)


def export_pptx(batch: Batch, pages: list[Page], out: BinaryIO) -> None:
    """One full-bleed image per page; the page description in the speaker notes."""
    deck, _ = _presentation(batch)
    pictures = _StoredPictures()
    for page in pages:
        pictures.add(deck, _blank_slide(deck, page), page)
    pictures.save(deck, out)


def export_pptx_editable(batch: Batch, pages: list[Page], out: BinaryIO) -> None:
    """Titles and items as native text boxes over a text-free background.

    Works for pages drawn by the local renderer (their text layout is known); pages from an
    image model have no layout, so they fall back to the full image.
    """
    deck, scale = _presentation(batch)
    theme = load_theme(batch.template_snapshot, batch.reference_images)
    pictures = _StoredPictures()
    for page in pages:
        slide = _blank_slide(deck, page)
        render = StepRun.objects.selected().get(page=page, step="render")
        boxes = render.output_data.get("boxes")
        if render.provider != "local" or boxes is None:
            pictures.add(deck, slide, page)
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
    pictures.save(deck, out)


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
    r_pr = run._r.get_or_add_rPr()  # noqa: SLF001 (python-pptx has no public east-Asian font API)
    for tag in ("a:ea", "a:cs"):
        element = r_pr.find(qn(tag))
        if element is None:
            element = etree.SubElement(r_pr, qn(tag))
        element.set("typeface", typeface)


def export_pdf(batch: Batch, pages: list[Page], out: BinaryIO) -> None:
    """One JPEG image per page (as Pillow's PDF writer stores RGB images), decoded and
    written one page at a time; each page is the slide's size in points."""
    scale = px_per_pt(*batch.size)
    pdf = _PdfWriter(out)
    # Objects: 1 the catalog, 2 the page tree, then per page its image, contents and page.
    kids = [3 * n + 5 for n in range(len(pages))]
    for number, page in enumerate(pages):
        image_ref, contents_ref, page_ref = 3 * number + 3, 3 * number + 4, 3 * number + 5
        image = open_rgb(page.image)
        width, height = image.size
        jpeg = io.BytesIO()
        image.save(jpeg, "JPEG")
        del image
        pdf.write(
            image_ref,
            f"/Type /XObject /Subtype /Image /Width {width} /Height {height} "
            "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode",
            stream=jpeg.getvalue(),
        )
        w, h = width / scale, height / scale
        pdf.write(contents_ref, "", stream=f"q {w:.3f} 0 0 {h:.3f} 0 0 cm /image Do Q\n".encode())
        pdf.write(
            page_ref,
            f"/Type /Page\n/Parent 2 0 R /MediaBox [0 0 {w:.3f} {h:.3f}] "
            f"/Resources << /ProcSet [/PDF /ImageC] /XObject << /image {image_ref} 0 R >> >> "
            f"/Contents {contents_ref} 0 R",
        )
    pdf.write(2, f"/Type /Pages /Count {len(kids)} /Kids [{' '.join(f'{k} 0 R' for k in kids)}]")
    pdf.write(1, "/Type /Catalog /Pages 2 0 R")
    pdf.close(root=1)


class _PdfWriter:
    """A PDF written object by object; the cross-reference table of their offsets goes last."""

    def __init__(self, out: BinaryIO) -> None:
        self.out, self.start, self.offsets = out, out.tell(), {}
        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def write(self, number: int, entries: str, *, stream: bytes | None = None) -> None:
        self.offsets[number] = self.out.tell() - self.start
        length = f" /Length {len(stream)}" if stream is not None else ""
        self.out.write(f"{number} 0 obj\n<<\n{entries}{length}\n>>\n".encode())
        if stream is not None:
            self.out.write(b"stream\n" + stream + b"\nendstream\n")
        self.out.write(b"endobj\n")

    def close(self, *, root: int) -> None:
        xref = self.out.tell() - self.start
        size = max(self.offsets) + 1
        rows = [f"{self.offsets[n]:010d} 00000 n \n" for n in range(1, size)]
        self.out.write(f"xref\n0 {size}\n0000000000 65535 f \n{''.join(rows)}".encode())
        self.out.write(f"trailer\n<< /Size {size} /Root {root} 0 R >>\n".encode())
        self.out.write(f"startxref\n{xref}\n%%EOF\n".encode())


def export_zip(batch: Batch, pages: list[Page], out: BinaryIO) -> None:
    """The stored PNGs, copied from storage into the archive in chunks."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for page in pages:
            with (
                page.image.open("rb") as source,
                archive.open(f"slide-{page.index:02d}.png", "w") as target,
            ):
                shutil.copyfileobj(source, target)


def export_deck(batch: Batch, fmt: str, out: BinaryIO) -> None:
    """Write the deck in `fmt` (one of FORMATS) from the batch's completed pages into `out`."""
    if fmt not in EXPORTERS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", details={"format": fmt})
    pages = exportable_pages(batch)
    if not pages:
        raise InvalidInput("the batch has no completed page to export yet")
    EXPORTERS[fmt](batch, pages, out)


def export_file(batch: Batch, fmt: str) -> BinaryIO:
    """The deck in a temporary file (gone once closed), positioned at its start."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller (a FileResponse) closes it
    try:
        export_deck(batch, fmt, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


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

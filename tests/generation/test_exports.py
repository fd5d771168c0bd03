"""Exports are written page by page into a file: bounded memory, whatever the deck's length."""

import io
import json
import random
import tempfile
import tracemalloc
import zipfile

import pytest
from django.core.files.base import ContentFile
from PIL import Image, PdfParser
from pptx import Presentation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.exports import export_deck
from generation.models import Page, PageStatus
from generation.services.batches import batch_run
from tests.factories import EN_OUTLINE, UserFactory, make_batch
from tests.processes import isolated_env, manage


@pytest.mark.django_db
def test_a_pdf_export_has_one_page_per_slide_at_the_slide_size():
    batch = batch_run(batch=make_batch(outline=EN_OUTLINE))
    out = io.BytesIO()

    export_deck(batch, "pdf", out)

    pdf = PdfParser.PdfParser(buf=out.getvalue())
    assert len(pdf.pages) == batch.completed_pages == batch.total_pages
    first = pdf.read_indirect(pdf.pages[0])
    assert first[b"MediaBox"] == [0, 0, 960.0, 540.0]  # 16:9, 13.333 x 7.5 in
    image = pdf.read_indirect(first[b"Resources"][b"XObject"][b"image"])
    assert (image.dictionary.Width, image.dictionary.Height) == (1536, 864)
    assert image.dictionary.Filter == PdfParser.PdfName("DCTDecode")


@pytest.mark.django_db
def test_the_api_streams_the_export_from_a_file_with_its_length():
    user = UserFactory()
    batch = batch_run(batch=make_batch(outline=EN_OUTLINE, owner=user))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    response = client.get(f"/api/v1/batches/{batch.pk}/export/", {"format": "zip"})

    assert response.status_code == 200
    assert response.streaming
    data = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(data)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == [f"slide-{n:02d}.png" for n in range(1, batch.total_pages + 1)]


def test_exports_hold_one_decoded_page_in_memory_at_a_time(tmp_path):
    """The tester's 525-page PDF took the web process from 0.4 to 3.2 GB: every page was
    decoded before the first was written. Each export is measured in a fresh process."""
    env = isolated_env(tmp_path, SQLITE_PATH=str(tmp_path / "bench.sqlite3"), LOG_LEVEL="WARNING")
    manage(env, "migrate", "--noinput", "-v", "0")

    figures = json.loads(
        manage(env, "bench_export", "--pages=16", "--formats=pdf,zip,pptx", "--runs=1")
    )

    assert (figures["pages"], figures["size"]) == (16, "1536x864")
    for fmt in ("pdf", "zip", "pptx"):
        measured = figures["formats"][fmt]
        assert measured["output_mb"] > 0
        assert measured["peak_rss_mb"] >= measured["rss_before_mb"] > 20
        # One decoded 1536x864 page is ~5 MB; 16 of them were ~85 MB.
        assert measured["delta_mb"] < 30, (fmt, measured)


def noise_deck(pages: int, size=(640, 360)):
    """A finished batch whose slides are noise: PNGs that do not compress (~0.7 MB each),
    like an image model's."""
    batch = make_batch(outline=EN_OUTLINE)
    rng = random.Random(7)
    for index in range(1, pages + 1):
        image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
        buffer = io.BytesIO()
        image.save(buffer, "PNG", compress_level=1)
        page = Page(batch=batch, index=index, kind="content", status=PageStatus.COMPLETED)
        page.image.save(f"{index}.png", ContentFile(buffer.getvalue()), save=False)
        page.save()
    return batch


@pytest.mark.django_db
def test_a_pptx_export_copies_each_stored_image_in_without_holding_them_all():
    batch = noise_deck(8)
    stored = [page.image.read() for page in batch.pages.order_by("index")]

    with tempfile.TemporaryFile() as out:
        tracemalloc.start()
        try:
            export_deck(batch, "pptx", out)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        out.seek(0)
        deck = Presentation(out)

    pictures = [slide.shapes[0].image.blob for slide in deck.slides]
    assert pictures == stored  # every slide shows its own stored PNG, byte for byte
    assert peak < sum(map(len, stored)) / 2, peak  # 5.5 MB of PNGs, never all in memory

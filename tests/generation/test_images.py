"""Stored images come back as RGB, whatever mode they were saved in."""

import io
import random

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from generation.images import decode_rgb, encode_png, open_rgb
from generation.providers.latency import SAMPLE_PLAN
from generation.render.renderer import render_slide
from generation.slides import Theme
from tests.factories import SlideTemplateFactory


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def test_transparent_and_palette_images_decode_to_rgb():
    rgba = encoded(Image.new("RGBA", (8, 4), (10, 20, 30, 128)))
    palette = encoded(Image.new("RGB", (8, 4), "#3366cc").convert("P"))

    for data in (rgba, palette):
        image = decode_rgb(data)
        assert (image.mode, image.size) == ("RGB", (8, 4))
    assert decode_rgb(palette).getpixel((0, 0)) == (0x33, 0x66, 0xCC)


@pytest.mark.django_db
def test_a_stored_image_is_read_by_its_path_or_its_field():
    path = default_storage.save("slides/grey.png", ContentFile(encoded(Image.new("L", (6, 3), 90))))
    template = SlideTemplateFactory()

    by_path = open_rgb(path)
    by_field = open_rgb(template.reference_image)

    assert (by_path.mode, by_path.size, by_path.getpixel((0, 0))) == ("RGB", (6, 3), (90, 90, 90))
    assert (by_field.mode, by_field.size) == ("RGB", (320, 180))
    # The factory stores a JPEG: its colour comes back within a step or two.
    pixel = by_field.getpixel((0, 0))
    assert all(abs(a - b) <= 2 for a, b in zip(pixel, (0xDF, 0xE7, 0xF2), strict=True))


def _noise(mode: str, size: tuple[int, int]) -> Image.Image:
    """Every byte different from its neighbours: the worst case for a PNG filter."""
    bands = len(Image.new(mode, (1, 1)).getbands())
    return Image.frombytes(mode, size, random.Random(7).randbytes(size[0] * size[1] * bands))


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "1"])
def test_an_encoded_png_decodes_to_the_same_pixels(mode):
    image = _noise("RGB", (97, 31)).convert(mode)
    slide = render_slide(SAMPLE_PLAN, Theme(), (768, 432)).image

    for original in (image, slide):
        data = encode_png(original)
        decoded = Image.open(io.BytesIO(data))
        decoded.load()
        assert decoded.format == "PNG"
        assert (decoded.mode, decoded.size) == (original.mode, original.size)
        assert decoded.tobytes() == original.tobytes()


def test_a_slide_png_is_about_as_small_as_pillows_at_the_same_zlib_level():
    slide = render_slide(SAMPLE_PLAN, Theme(), (1536, 864)).image
    pillows = io.BytesIO()
    slide.save(pillows, "PNG", compress_level=1)

    ours = encode_png(slide)

    assert Image.open(io.BytesIO(ours)).verify() is None  # chunks and checksums are valid
    assert len(ours) <= 1.1 * len(pillows.getvalue())

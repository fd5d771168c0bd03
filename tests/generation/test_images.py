"""Stored images come back as RGB, whatever mode they were saved in."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from generation.images import decode_rgb, open_rgb
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

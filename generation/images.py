"""Stored slide and reference images read back as RGB Pillow images: one way to do it.

Images from outside (provider answers, uploads) are checked where they arrive
(generation/providers/http.py, templates_app/services.py); these are our own stored files.
"""

from __future__ import annotations

import io

from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from PIL import Image


def decode_rgb(data: bytes) -> Image.Image:
    """Image bytes (any format Pillow reads) as a loaded RGB image."""
    return Image.open(io.BytesIO(data)).convert("RGB")


def open_rgb(source: FieldFile | str) -> Image.Image:
    """A stored image, a model's file field or a path in the default storage, as RGB."""
    handle = default_storage.open(source, "rb") if isinstance(source, str) else source.open("rb")
    with handle:
        return decode_rgb(handle.read())

"""A batch's own reference images (a logo, product photos), uploaded with the batch.

They are held to the caps of template images (templates_app.services): checked and downscaled
before anything is stored, then copied into the batch's folder. Image models get them after the
template's; the local renderer puts the logo in a corner of every page and the first photo on
the cover.
"""

from __future__ import annotations

import hashlib
import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image

from generation.errors import InvalidInput
from templates_app.services import KEPT_FORMATS, reference_image_prepare

MAX_PHOTOS = 4
ROLES = ("logo", "photo")


def batch_images_prepare(*, logo: File | None, photos: list[File]) -> list[tuple[str, File]]:
    """(role, file) for each upload, logo first, each checked against the template image caps
    and downscaled; raises InvalidInput naming the upload before anything is stored."""
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(
            _("at most %(limit)s reference images may come with a batch; %(count)s came")
            % {"limit": MAX_PHOTOS, "count": len(photos)},
            details={"reference_images": "too many"},
        )
    uploads = ([("logo", logo)] if logo is not None else []) + [("photo", p) for p in photos]
    prepared = []
    for number, (role, upload) in enumerate(uploads):
        field = "logo" if role == "logo" else "reference_images"
        try:
            prepared.append((role, reference_image_prepare(file=upload)))
        except ValidationError as error:
            name = upload.name or f"image {number + 1}"
            raise InvalidInput(
                f"{field}: {name}: {error.messages[0]}", details={field: error.messages[0]}
            ) from None
    return prepared


def batch_images_store(*, images: list[tuple[str, File]], copy_to: str) -> list[dict]:
    """Store the prepared images under `copy_to/`; [{"role", "path", "sha256"}] in order.
    When one cannot be stored, those already stored are removed."""
    stored: list[dict] = []
    try:
        for position, (role, upload) in enumerate(images):
            data, suffix = _stored_form(upload)
            path = default_storage.save(f"{copy_to}/{role}-{position}{suffix}", ContentFile(data))
            stored.append({"role": role, "path": path, "sha256": hashlib.sha256(data).hexdigest()})
    except Exception:
        for image in stored:
            default_storage.delete(image["path"])
        raise
    return stored


def _stored_form(upload: File) -> tuple[bytes, str]:
    """The bytes and suffix stored: PNG, JPEG and WebP as uploaded, other formats as PNG; the
    suffix follows the content, never the uploaded name."""
    upload.seek(0)
    data = upload.read()
    with Image.open(io.BytesIO(data)) as image:
        if image.format in KEPT_FORMATS:
            return data, KEPT_FORMATS[image.format]
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
    return buffer.getvalue(), ".png"

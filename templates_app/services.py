"""Template snapshots (what a batch keeps so later edits never change a run) and the caps on
reference images (what an upload may weigh, and the size it is stored at)."""

import hashlib
import io
import warnings
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from generation.errors import InvalidInput
from templates_app.models import SlideTemplate

# Formats kept as they are when a reference is downscaled; others are stored as PNG.
KEPT_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}


def reference_image_check(
    *, file: IO[bytes], size: int, max_bytes: int | None = None, max_pixels: int | None = None
) -> tuple[int, int]:
    """The image's (width, height), read from its header only, after the byte cap; raises
    ValidationError naming the cap it breaks. Nothing is decoded: a 144-megapixel PNG costs
    what its header costs. The caps are the template images' unless given (uploads have
    their own)."""
    max_bytes = max_bytes or settings.NANODECK["TEMPLATE_IMAGE_MAX_BYTES"]
    max_pixels = max_pixels or settings.NANODECK["TEMPLATE_IMAGE_MAX_PIXELS"]
    if size > max_bytes:
        raise ValidationError(
            _("the image is %(size)s MB; reference images may be at most %(limit)s MB")
            % {"size": f"{size / 1e6:.1f}", "limit": f"{max_bytes / 1e6:g}"},
            code="too_large",
        )
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        # Pillow refuses to open beyond twice MAX_IMAGE_PIXELS, from the header alone.
        raise ValidationError(
            _(
                "the image has more than %(pixels)s megapixels; "
                "reference images may have at most %(limit)s megapixels"
            )
            % {
                "pixels": f"{2 * Image.MAX_IMAGE_PIXELS / 1e6:.0f}",
                "limit": f"{max_pixels / 1e6:g}",
            },
            code="too_many_pixels",
        ) from None
    except (UnidentifiedImageError, OSError):
        raise ValidationError(
            _("not an image this server reads (PNG, JPEG or WebP)"), code="invalid_image"
        ) from None
    finally:
        file.seek(0)
    if width * height > max_pixels:
        raise ValidationError(
            _(
                "the image is %(width)sx%(height)s pixels (%(megapixels)s megapixels); "
                "reference images may have at most %(limit)s megapixels"
            )
            % {
                "width": width,
                "height": height,
                "megapixels": f"{width * height / 1e6:.0f}",
                "limit": f"{max_pixels / 1e6:g}",
            },
            code="too_many_pixels",
        )
    return width, height


def reference_image_prepare(*, file: File) -> File:
    """The upload as it will be stored: checked against the caps, then downscaled so that its
    long side is at most TEMPLATE_IMAGE_MAX_SIDE (returned unchanged when it already is)."""
    width, height = reference_image_check(file=file, size=file.size)
    max_side = settings.NANODECK["TEMPLATE_IMAGE_MAX_SIDE"]
    if max(width, height) <= max_side:
        return file
    with Image.open(file) as image:
        fmt = image.format if image.format in KEPT_FORMATS else "PNG"
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        if fmt == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, fmt, **({"quality": 90} if fmt != "PNG" else {}))
    file.seek(0)
    name = PurePosixPath(file.name or "reference").stem + KEPT_FORMATS[fmt]
    return ContentFile(buffer.getvalue(), name=name)


def template_snapshot(*, template: SlideTemplate, copy_to: str) -> dict:
    """Freeze the template's fields and copy its reference images under `copy_to/`.

    The copies belong to the batch: replacing or deleting the template's images later
    leaves the batch's snapshot intact. An image stored before the caps existed is copied
    downscaled, or refused (InvalidInput) when it has more pixels than an upload may.
    """
    images = [template.reference_image, *(extra.image for extra in template.extra_images.all())]
    copies = []
    for position, field_file in enumerate(images):
        with field_file.open("rb") as handle:
            try:
                prepared = reference_image_prepare(file=File(handle, name=field_file.name))
            except ValidationError as error:
                raise InvalidInput(
                    f"template {template.name!r}: its reference image {field_file.name} is "
                    f"over the limit ({error.messages[0]}); upload a smaller one",
                    details={"template": template.slug},
                ) from None
            prepared.seek(0)
            data = prepared.read()
        suffix = PurePosixPath(prepared.name or field_file.name).suffix or ".png"
        name = default_storage.save(f"{copy_to}/reference-{position}{suffix}", ContentFile(data))
        copies.append({"path": name, "sha256": hashlib.sha256(data).hexdigest()})
    return {
        "id": template.pk,
        "slug": template.slug,
        "name": template.name,
        "description": template.description,
        "style": template.style,
        "palette": list(template.palette),
        "fonts": dict(template.fonts),
        "prompt_hints": template.prompt_hints,
        "recommended_for": list(template.recommended_for),
        "reference_images": copies,
        "updated_at": template.updated_at.isoformat(),
    }

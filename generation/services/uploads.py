"""Uploads: a user's pictures, checked by decoding before anything is stored, re-encoded
without their metadata, used as references by images and batches, expired when unused.

The checks are the template images' (templates_app.services.reference_image_check: the byte
cap, then width and height read from the header, so a decompression bomb is refused before
any pixel is decoded) with the upload caps (UPLOAD_MAX_BYTES, UPLOAD_MAX_PIXELS); then only
PNG, JPEG and WebP are accepted, whatever the name or content type says, and the whole image
must decode (a truncated file does not). The EXIF orientation is applied to the pixels and
every metadata block (EXIF, XMP, ICC, text chunks) is left out of the stored copy, the
pixels converted to sRGB first when a colour profile came with them:
https://pillow.readthedocs.io/en/stable/reference/ImageOps.html#PIL.ImageOps.exif_transpose
https://pillow.readthedocs.io/en/stable/reference/ImageCms.html#PIL.ImageCms.profileToProfile
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps

from generation.errors import InvalidInput
from generation.upload_models import UPLOAD_FORMATS, Upload
from templates_app.services import KEPT_FORMATS, reference_image_check

logger = logging.getLogger("nanodeck.uploads")

MAX_FILES_PER_REQUEST = 10
_SRGB = ImageCms.createProfile("sRGB")
_SAVE_OPTIONS = {"PNG": {}, "JPEG": {"quality": 92}, "WEBP": {"quality": 92}}


@dataclass(frozen=True)
class CheckedImage:
    """An upload that passed every check, re-encoded as it will be stored."""

    data: bytes
    format: str
    width: int
    height: int


def upload_check(*, file: File) -> CheckedImage:
    """The upload re-encoded for storage; raises InvalidInput naming the file and what is wrong."""
    name = file.name or "the file"
    try:
        reference_image_check(
            file=file,
            size=file.size,
            max_bytes=settings.NANODECK["UPLOAD_MAX_BYTES"],
            max_pixels=settings.NANODECK["UPLOAD_MAX_PIXELS"],
        )
    except ValidationError as error:
        raise InvalidInput(
            _("%(name)s: %(problem)s") % {"name": name, "problem": error.messages[0]},
            details={"files": error.code},
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                fmt = image.format
                if fmt not in UPLOAD_FORMATS:
                    raise InvalidInput(
                        _("%(name)s: a %(format)s image; uploads must be PNG, JPEG or WebP")
                        % {"name": name, "format": fmt},
                        details={"files": "unsupported_format"},
                    )
                image.load()  # the whole image: a truncated file fails here
                upright = ImageOps.exif_transpose(image)
                data = _encode(upright, fmt)
    except InvalidInput:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning):
        raise InvalidInput(
            _("%(name)s: the image is damaged or truncated and cannot be read") % {"name": name},
            details={"files": "damaged_image"},
        ) from None
    finally:
        file.seek(0)
    return CheckedImage(data=data, format=fmt, width=upright.width, height=upright.height)


def _encode(image: Image.Image, fmt: str) -> bytes:
    """The pixels alone in `fmt`, in sRGB: an embedded colour profile is applied to the pixels
    (so colours stay as they were shown) and, like every other block of `info`, not written."""
    if image.mode == "P" or (fmt == "JPEG" and image.mode not in ("RGB", "L")):
        transparent = fmt != "JPEG" and image.has_transparency_data
        image = image.convert("RGBA" if transparent else "RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    image = _in_srgb(image)
    image.info = {}  # Pillow's PNG writer would copy an ICC profile from here
    buffer = io.BytesIO()
    image.save(buffer, fmt, **_SAVE_OPTIONS[fmt])
    return buffer.getvalue()


def _in_srgb(image: Image.Image) -> Image.Image:
    """An RGB(A) image with an embedded profile converted to sRGB; any other as it is (a
    profile that cannot be read is ignored)."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def uploads_create(*, owner: AbstractBaseUser, files: list[File]) -> list[Upload]:
    """Store the files as the owner's uploads, in order; every file is checked before the
    first is stored, so a refused request stores nothing."""
    if not files:
        raise InvalidInput(_("send one or more image files as `files`"), details={"files": "empty"})
    if len(files) > MAX_FILES_PER_REQUEST:
        raise InvalidInput(
            _("at most %(limit)s files per request; %(count)s came")
            % {"limit": MAX_FILES_PER_REQUEST, "count": len(files)},
            details={"files": "too many"},
        )
    checked = [upload_check(file=file) for file in files]
    created: list[Upload] = []
    try:
        with transaction.atomic():
            for image in checked:
                upload = Upload(
                    owner=owner,
                    sha256=hashlib.sha256(image.data).hexdigest(),
                    width=image.width,
                    height=image.height,
                    format=image.format,
                )
                name = f"{uuid.uuid4().hex}{KEPT_FORMATS[image.format]}"
                upload.file.save(name, ContentFile(image.data), save=False)
                created.append(upload)
                upload.save()
    except Exception:
        for upload in created:
            default_storage.delete(upload.file.name)
        raise
    logger.info("uploads_created owner=%s count=%s", owner.pk, len(created))
    return created


def uploads_resolve(*, owner: AbstractBaseUser, ids: list) -> list[Upload]:
    """The owner's uploads with these ids, in the order given; an id that is not one of the
    owner's uploads (unknown, expired, someone else's) is InvalidInput naming it."""
    if not ids:
        return []
    wanted = [str(value) for value in ids]
    valid = []
    for value in wanted:
        try:
            valid.append(uuid.UUID(value))
        except ValueError:
            raise InvalidInput(
                f"references: '{value}' is not an upload id", details={"references": value}
            ) from None
    found = {str(upload.pk): upload for upload in Upload.objects.filter(owner=owner, pk__in=valid)}
    missing = [str(value) for value in valid if str(value) not in found]
    if missing:
        raise InvalidInput(
            f"references: no upload of yours has the id {missing[0]} (upload it first with "
            "POST /api/v1/uploads/)",
            details={"references": missing},
        )
    return [found[str(value)] for value in valid]


def uploads_as_files(uploads: list[Upload]) -> list[File]:
    """The uploads' stored files, to be copied into a batch's folder (batch_images_store)."""
    files = []
    for upload in uploads:
        with upload.file.open("rb") as handle:
            files.append(ContentFile(handle.read(), name=upload.file.name))
    return files


def uploads_mark_used(*, uploads: list[Upload]) -> None:
    """They are used: they no longer expire."""
    Upload.objects.filter(pk__in=[u.pk for u in uploads], used_at__isnull=True).update(
        used_at=timezone.now()
    )


def upload_delete(*, upload: Upload) -> None:
    """Delete the upload and its file (batches that used it keep their own copies)."""
    name = upload.file.name
    upload.delete()
    transaction.on_commit(lambda: default_storage.delete(name))


def uploads_expire(*, now: datetime | None = None) -> int:
    """Delete the uploads nothing used within UPLOAD_TTL_HOURS, with their files; how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.NANODECK["UPLOAD_TTL_HOURS"])
    expired = Upload.objects.filter(used_at__isnull=True, created_at__lt=cutoff)
    count = 0
    for upload_id, name in list(expired.values_list("pk", "file")):
        deleted, _ = expired.filter(pk=upload_id).delete()  # unless used meanwhile
        if deleted:
            default_storage.delete(name)
            count += 1
    return count

"""The web app's one write of its own: a new image from the form, its pictures uploaded first.
Everything else the pages do is a call to a generation service."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction

from generation.models import Batch
from generation.services.images import image_create
from generation.services.uploads import uploads_create


def image_from_form(*, owner: AbstractBaseUser, files: list[File], fields: dict) -> Batch:
    """The pictures become the owner's uploads and the image's references, in one
    transaction: when the image is refused (a bad option, too few credits) neither the
    uploads nor their files stay."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            uploads = uploads_create(owner=owner, files=files) if files else []
            stored = [upload.file.name for upload in uploads]
            return image_create(
                owner=owner,
                payer=owner,
                references=[upload.pk for upload in uploads],
                **fields,
            )
    except Exception:
        for name in stored:
            default_storage.delete(name)
        raise

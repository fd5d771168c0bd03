"""A user's uploaded picture, and single images as a proxy of Batch (their admin gallery).

An upload is a reference for image-to-image, or a deck's own photo. It is checked by decoding before it is stored (generation/services/uploads.py), stored privately
under `uploads/<owner>/` and shown only through signed links; an upload no image or batch has
used expires after UPLOAD_TTL_HOURS (the daily cleanup)."""

import uuid

from django.conf import settings
from django.db import models

from generation.models import Batch

UPLOAD_FORMATS = ("PNG", "JPEG", "WEBP")


def _upload_path(instance: "Upload", filename: str) -> str:
    return f"uploads/{instance.owner_id}/{filename}"


class Upload(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    file = models.ImageField(upload_to=_upload_path)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=4, choices=[(f, f) for f in UPLOAD_FORMATS])
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When an image or a batch first used it (it no longer expires).",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["used_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.format} {self.width}x{self.height} by {self.owner_id}"


class SingleImage(Batch):
    """A batch of kind image, for its own admin gallery (the rows are batches)."""

    class Meta:
        proxy = True
        verbose_name = "single image"

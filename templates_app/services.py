"""Template snapshots: what a batch keeps so later edits never change a run."""

import hashlib
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from templates_app.models import SlideTemplate


def template_snapshot(*, template: SlideTemplate, copy_to: str) -> dict:
    """Freeze the template's fields and copy its reference images under `copy_to/`.

    The copies belong to the batch: replacing or deleting the template's images later
    leaves the batch's snapshot intact.
    """
    images = [template.reference_image, *(extra.image for extra in template.extra_images.all())]
    copies = []
    for position, field_file in enumerate(images):
        with field_file.open("rb") as handle:
            data = handle.read()
        suffix = PurePosixPath(field_file.name).suffix or ".png"
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

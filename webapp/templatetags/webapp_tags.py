"""What the web app's templates show that plain template syntax cannot: a palette as an
image (no inline styles under the CSP) and a status in the reader's language."""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.utils.translation import gettext_lazy as _

from templates_app.models import SlideTemplate
from webapp.links import deck_url

register = template.Library()

STATUS_LABELS = {
    "pending": _("Waiting"),
    "planning": _("Planning"),
    "awaiting_approval": _("Waiting for approval"),
    "running": _("In progress"),
    "completed": _("Done"),
    "partial": _("Partly done"),
    "failed": _("Failed"),
    "cancelled": _("Cancelled"),
    "held": _("Held for review"),
}
KIND_LABELS = {
    "grant": _("Granted"),
    "reserve": _("Reserved"),
    "capture": _("Spent"),
    "release": _("Released"),
    "adjust": _("Adjusted"),
}
SWATCH = 24


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@register.filter
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


@register.filter
def palette_image(palette: list) -> str:
    """The palette's colours side by side, as a data: SVG (the CSP allows data: images)."""
    colours = [c for c in palette or [] if isinstance(c, str) and c.startswith("#")]
    rects = "".join(
        f'<rect x="{i * SWATCH}" width="{SWATCH}" height="{SWATCH}" fill="{c}"/>'
        for i, c in enumerate(colours)
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SWATCH * len(colours)}" '
        f'height="{SWATCH}">{rects}</svg>'
    )
    return "data:image/svg+xml," + quote(svg)


@register.filter
def reference_url(item: SlideTemplate) -> str:
    """The template's reference image link (signed), or "" when it has none."""
    return item.reference_image.url if item.reference_image else ""


@register.filter
def deck_link(batch_id: object) -> str:
    return deck_url(batch_id)


@register.simple_tag
def status_labels() -> dict[str, str]:
    """Every status in the reader's language, for the scripts that show live status."""
    return {status: str(label) for status, label in STATUS_LABELS.items()}

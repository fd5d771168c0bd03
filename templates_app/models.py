import re

from django.core.exceptions import ValidationError
from django.db import models

from config.text import text_problem

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_palette(value: object) -> None:
    """A palette is 2-8 colours '#rrggbb': background, primary, accent, text, muted, extras."""
    if not isinstance(value, list) or not 2 <= len(value) <= 8:
        raise ValidationError("Palette must be a list of 2 to 8 colours like #1f3a5f.")
    bad = [
        colour for colour in value if not isinstance(colour, str) or not HEX_COLOUR.match(colour)
    ]
    if bad:
        raise ValidationError(f"Not a #rrggbb colour: {', '.join(map(str, bad))}.")


def _refuse_unstorable(texts: list[str], what: str) -> None:
    """NUL characters and lone surrogates: PostgreSQL refuses the first, and neither can be
    sent as UTF-8 JSON, so one such template would break the template list for everyone."""
    problems = [text_problem(text) for text in texts if text_problem(text)]
    if problems:
        raise ValidationError(f"{what}: one {problems[0]}.")


def validate_tags(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(tag, str) and tag for tag in value):
        raise ValidationError("Tags must be a list of non-empty strings.")
    _refuse_unstorable(value, "Tags")


def validate_fonts(value: object) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError('Fonts must be an object like {"title": "...", "body": "..."}.')
    _refuse_unstorable([*value, *value.values()], "Fonts")


class SlideTemplateQuerySet(models.QuerySet):
    def active(self) -> "SlideTemplateQuerySet":
        return self.filter(is_active=True)


class SlideTemplate(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    style = models.CharField(
        max_length=200, blank=True, help_text="A few words, e.g. 'flat, corporate'."
    )
    palette = models.JSONField(
        validators=[validate_palette],
        help_text="List of #rrggbb colours: background, primary, accent, text, muted.",
    )
    fonts = models.JSONField(default=dict, blank=True, validators=[validate_fonts])
    reference_image = models.ImageField(
        upload_to="templates/", help_text="Main reference image, sent first to image models."
    )
    prompt_hints = models.TextField(blank=True, help_text="Added to every image prompt.")
    recommended_for = models.JSONField(default=list, blank=True, validators=[validate_tags])
    is_active = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SlideTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class TemplateReferenceImage(models.Model):
    """Extra reference images, sent to image models after the main one."""

    template = models.ForeignKey(
        SlideTemplate, on_delete=models.CASCADE, related_name="extra_images"
    )
    image = models.ImageField(upload_to="templates/extra/")
    caption = models.CharField(max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.caption or self.image.name

from django import forms
from django.contrib import admin
from django.core.files.base import File
from django.db import models
from django.utils.html import format_html, format_html_join

from templates_app.models import SlideTemplate, TemplateReferenceImage
from templates_app.services import reference_image_check, reference_image_prepare


def palette_swatches(palette: list[str]) -> str:
    """One square per colour, drawn as SVG: its fill is an attribute, not an inline style
    (which the Content-Security-Policy forbids)."""
    return format_html_join(
        "",
        '<svg class="nd-swatch" viewBox="0 0 1 1" role="img" aria-label="{0}"><title>{0}</title>'
        '<rect width="1" height="1" fill="{0}"/></svg>',
        ((colour,) for colour in palette or []),
    )


class ReferenceImageFormField(forms.ImageField):
    """An upload checked against the caps from its header before Pillow verifies it, and
    stored downscaled (templates_app.services)."""

    def to_python(self, data: File | None) -> File | None:
        if isinstance(data, File):
            reference_image_check(file=data, size=data.size)
        checked = super().to_python(data)
        return None if checked is None else reference_image_prepare(file=checked)


REFERENCE_IMAGE_FIELDS = {models.ImageField: {"form_class": ReferenceImageFormField}}


class TemplateReferenceImageInline(admin.TabularInline):
    model = TemplateReferenceImage
    formfield_overrides = REFERENCE_IMAGE_FIELDS
    extra = 0
    fields = ("image", "preview", "caption", "order")
    readonly_fields = ("preview",)

    @admin.display(description="preview")
    def preview(self, obj: TemplateReferenceImage) -> str:
        if not obj.image:
            return "-"
        return format_html('<img class="nd-thumb nd-medium" src="{}" alt="">', obj.image.url)


@admin.register(SlideTemplate)
class SlideTemplateAdmin(admin.ModelAdmin):
    list_display = (
        "thumbnail",
        "name",
        "slug",
        "swatches",
        "style",
        "is_active",
        "order",
        "updated_at",
    )
    list_display_links = ("thumbnail", "name")
    list_editable = ("is_active", "order")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "description", "style", "prompt_hints")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("large_preview", "swatches", "created_at", "updated_at")
    inlines = [TemplateReferenceImageInline]
    formfield_overrides = REFERENCE_IMAGE_FIELDS

    class Media:
        css = {"all": ["nanodeck/admin.css"]}

    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "style", "is_active", "order")}),
        ("Look", {"fields": ("palette", "swatches", "fonts", "reference_image", "large_preview")}),
        ("Prompting", {"fields": ("prompt_hints", "recommended_for")}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="preview")
    def thumbnail(self, obj: SlideTemplate) -> str:
        if not obj.reference_image:
            return "-"
        return format_html(
            '<img class="nd-thumb nd-medium" src="{}" alt="">', obj.reference_image.url
        )

    @admin.display(description="reference image")
    def large_preview(self, obj: SlideTemplate) -> str:
        if not obj.reference_image:
            return "-"
        return format_html(
            '<img class="nd-thumb nd-wide" src="{}" alt="">', obj.reference_image.url
        )

    @admin.display(description="palette")
    def swatches(self, obj: SlideTemplate) -> str:
        return palette_swatches(obj.palette)

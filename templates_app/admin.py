from django.contrib import admin
from django.utils.html import format_html, format_html_join

from templates_app.models import SlideTemplate, TemplateReferenceImage


def palette_swatches(palette: list[str]) -> str:
    return format_html_join(
        "",
        '<span class="nd-swatch" title="{0}" style="background:{0}"></span>',
        ((colour,) for colour in palette or []),
    )


class TemplateReferenceImageInline(admin.TabularInline):
    model = TemplateReferenceImage
    extra = 0
    fields = ("image", "preview", "caption", "order")
    readonly_fields = ("preview",)

    @admin.display(description="preview")
    def preview(self, obj: TemplateReferenceImage) -> str:
        if not obj.image:
            return "-"
        return format_html('<img src="{}" style="height:60px">', obj.image.url)


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
            '<img src="{}" class="nd-thumb" style="height:54px">', obj.reference_image.url
        )

    @admin.display(description="reference image")
    def large_preview(self, obj: SlideTemplate) -> str:
        if not obj.reference_image:
            return "-"
        return format_html('<img src="{}" style="max-width:480px">', obj.reference_image.url)

    @admin.display(description="palette")
    def swatches(self, obj: SlideTemplate) -> str:
        return palette_swatches(obj.palette)

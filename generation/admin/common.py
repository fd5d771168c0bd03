"""What the generation admin pages share: image previews, the stylesheet, step run rows."""

from django.contrib import admin
from django.utils.html import format_html

from generation.models import StepRun


def _img(field_file, size: str) -> str:
    """A preview at one of admin.css's sizes (small, medium, large): classes, not inline
    styles, which the Content-Security-Policy forbids. The URL is signed (generation.signing)."""
    if not field_file:
        return "-"
    return format_html('<img class="nd-thumb nd-{}" src="{}" alt="">', size, field_file.url)


STEP_RUN_COLUMNS = (
    "step",
    "attempt",
    "score",
    "threshold",
    "passed",
    "selected",
    "provider",
    "latency_ms",
    "hedged",
    "error_kind",
)


class NanodeckAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["nanodeck/admin.css"]}


class StepRunInline(admin.TabularInline):
    model = StepRun
    extra = 0
    can_delete = False
    show_change_link = True
    fields = (*STEP_RUN_COLUMNS, "preview")
    readonly_fields = fields
    ordering = ("step", "attempt")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="output")
    def preview(self, obj: StepRun) -> str:
        return (
            _img(obj.output_image, "small") if obj.output_image else (obj.output_text[:80] or "-")
        )

"""Pages and their step runs in the admin."""

from django.contrib import admin

from generation.admin.common import STEP_RUN_COLUMNS, NanodeckAdmin, StepRunInline, _img
from generation.models import Page, StepRun


@admin.register(Page)
class PageAdmin(NanodeckAdmin):
    list_display = ("thumb", "title", "index", "kind", "status", "flagged", "batch")
    list_display_links = ("thumb", "title")
    list_filter = ("status", "kind", "flagged")
    search_fields = ("title", "description", "batch__title", "batch__id")
    list_select_related = ("batch",)
    raw_id_fields = ("batch",)
    readonly_fields = (
        "large",
        "plan",
        "image_prompt",
        "lease_owner",
        "lease_until",
        "started_at",
        "finished_at",
    )
    inlines = [StepRunInline]

    @admin.display(description="thumbnail")
    def thumb(self, obj: Page) -> str:
        return _img(obj.thumbnail, "medium")

    @admin.display(description="image")
    def large(self, obj: Page) -> str:
        return _img(obj.image, "large")


@admin.register(StepRun)
class StepRunAdmin(NanodeckAdmin):
    list_display = ("__str__", "batch", *STEP_RUN_COLUMNS)
    list_filter = ("step", "passed", "selected", "provider", "error_kind", "cache_hit")
    search_fields = ("batch__id", "batch__title", "page__title", "error_message")
    list_select_related = ("batch", "page")
    raw_id_fields = ("batch", "page")
    readonly_fields = [field.name for field in StepRun._meta.fields] + ["preview"]

    @admin.display(description="output image")
    def preview(self, obj: StepRun) -> str:
        return _img(obj.output_image, "large")

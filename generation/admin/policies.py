"""Step policies in the admin (thresholds change under Review › Thresholds)."""

from django.contrib import admin

from generation.models import StepPolicy


@admin.register(StepPolicy)
class StepPolicyAdmin(admin.ModelAdmin):
    """Thresholds are read-only here: they change through Review › Thresholds, which keeps
    every change in the feedback history."""

    list_display = (
        "step",
        "threshold",
        "max_attempts",
        "review_sample_rate",
        "review_overlap",
        "human_pass_mark",
        "on_no_pass",
        "auto_calibrate",
        "updated_at",
    )
    list_editable = (
        "max_attempts",
        "review_sample_rate",
        "review_overlap",
        "human_pass_mark",
        "on_no_pass",
        "auto_calibrate",
    )
    readonly_fields = ("step", "threshold")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

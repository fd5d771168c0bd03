from django.contrib import admin

from review.models import Criterion, Evaluation, ReviewItem, Score, ThresholdChange


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ("label", "step", "key", "weight", "active", "order")
    list_filter = ("step", "active")
    search_fields = ("key", "label", "description")

    def get_readonly_fields(self, request, obj=None):
        # A criterion that has been used is retired and replaced, never edited in place.
        if obj is not None and obj.scores.exists():
            return ("step", "key", "label", "description", "weight")
        return ()


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = (
        "step_run",
        "step",
        "reason",
        "priority",
        "evaluations_wanted",
        "status",
        "created_at",
    )
    list_filter = ("status", "step", "reason")
    search_fields = ("step_run__batch__title", "step_run__page__title")
    list_select_related = ("step_run", "step_run__page", "step_run__batch")
    raw_id_fields = ("step_run",)


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    raw_id_fields = ("criterion",)


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("step_run", "evaluator", "overall", "verdict", "seconds_spent", "created_at")
    list_filter = ("verdict", "step_run__step")
    search_fields = ("evaluator__username", "comment", "instruction")
    list_select_related = ("step_run", "evaluator")
    raw_id_fields = ("step_run", "evaluator")
    inlines = [ScoreInline]


@admin.register(ThresholdChange)
class ThresholdChangeAdmin(admin.ModelAdmin):
    list_display = ("step", "old", "new", "reason", "author", "created_at")
    list_filter = ("step", "reason")
    readonly_fields = ("step", "old", "new", "reason", "statistics", "author", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from generation.errors import Conflict
from review.calibration import (
    calibration_outcome,
    calibration_report,
    threshold_apply,
    unchanged_reason,
)
from review.exports import evaluations_export
from review.models import (
    FROZEN_CRITERION_FIELDS,
    Criterion,
    Evaluation,
    ReviewItem,
    Score,
    StepThreshold,
    ThresholdChange,
)
from review.services import criterion_retire


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ("label", "step", "key", "weight", "active", "order", "used")
    list_filter = ("step", "active")
    search_fields = ("key", "label", "description")
    actions = ["retire_and_copy"]

    def get_readonly_fields(self, request, obj=None):
        # A criterion that has been used is retired and replaced, never edited in place.
        if obj is not None and obj.scores.exists():
            return FROZEN_CRITERION_FIELDS
        return ()

    @admin.display(boolean=True, description="used in evaluations")
    def used(self, obj: Criterion) -> bool:
        return obj.scores.exists()

    @admin.action(description="Retire and add an editable copy (old evaluations keep theirs)")
    def retire_and_copy(self, request: HttpRequest, queryset: QuerySet[Criterion]) -> None:
        for criterion in queryset:
            try:
                copy = criterion_retire(criterion=criterion)
            except Conflict as exc:
                self.message_user(request, exc.message, messages.WARNING)
                continue
            url = reverse("admin:review_criterion_change", args=[copy.pk])
            self.message_user(
                request,
                format_html('Retired “{}”; edit its <a href="{}">new copy</a>.', copy.label, url),
                messages.SUCCESS,
            )


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
    search_fields = ("step_run__batch__title", "step_run__page__title", "note")
    list_select_related = ("step_run", "step_run__page", "step_run__batch")
    raw_id_fields = ("step_run",)


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    raw_id_fields = ("criterion",)

    def has_add_permission(self, request: HttpRequest, obj: Evaluation | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Evaluation | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Evaluation | None = None) -> bool:
        return False


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("step_run", "evaluator", "overall", "verdict", "seconds_spent", "created_at")
    list_filter = ("verdict", "step_run__step")
    search_fields = ("evaluator__username", "comment", "instruction")
    list_select_related = ("step_run", "evaluator")
    raw_id_fields = ("step_run", "evaluator")
    readonly_fields = ("follow_ups",)
    inlines = [ScoreInline]
    actions = ["export_csv", "export_jsonl"]

    @admin.action(description="Export selected evaluations as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Evaluation]):
        return _export_response(queryset, "csv", "text/csv")

    @admin.action(description="Export selected evaluations as JSON Lines")
    def export_jsonl(self, request: HttpRequest, queryset: QuerySet[Evaluation]):
        return _export_response(queryset, "jsonl", "application/jsonl")

    # Evaluations are made on the review site or API, where the lease, the criteria and
    # blindness are enforced; here they are a record.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Evaluation | None = None) -> bool:
        return False

    @admin.display(description="attempts it asked for")
    def follow_ups(self, obj: Evaluation) -> str:
        runs = obj.follow_up_runs() if obj.pk else []
        return (
            format_html_join(
                ", ",
                '<a href="{}">{} attempt {} (score {})</a>',
                (
                    (
                        reverse("admin:generation_steprun_change", args=[run.pk]),
                        run.step,
                        run.attempt,
                        "-" if run.score is None else f"{run.score:g}",
                    )
                    for run in runs
                ),
            )
            or "—"
        )


@admin.register(ThresholdChange)
class ThresholdChangeAdmin(admin.ModelAdmin):
    list_display = ("step", "old", "new", "reason", "author", "created_at")
    list_filter = ("step", "reason")
    readonly_fields = ("step", "old", "new", "reason", "statistics", "author", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ThresholdForm(forms.ModelForm):
    threshold = forms.FloatField(
        min_value=0,
        max_value=10,
        help_text="Auto score (0-10) an attempt needs to pass; used from the next attempt on.",
    )

    class Meta:
        model = StepThreshold
        fields = ["threshold"]


@admin.register(StepThreshold)
class StepThresholdAdmin(admin.ModelAdmin):
    """Thresholds: set by hand or by calibration; either way a ThresholdChange keeps the old
    value, the new one, who and the statistics of the moment."""

    form = ThresholdForm
    list_display = ("step", "threshold", "auto_calibrate", "evidence", "last_change")
    actions = ["apply_calibration"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StepThreshold | None = None) -> bool:
        return False

    @admin.display(description="calibration (n, kappa now → at suggested)")
    def evidence(self, obj: StepThreshold) -> str:
        report = calibration_report(step=obj.step)
        if not report["n"]:
            return "no evaluations yet"
        kappa_now, kappa_best = report["kappa_current"], report["kappa_suggested"]
        return (
            f"n={report['n']}{'' if report['enough'] else ' (not enough)'}, "
            f"kappa {_fmt(kappa_now)} → {_fmt(kappa_best)} at {_fmt(report['suggested'])}"
        )

    @admin.display(description="last change")
    def last_change(self, obj: StepThreshold) -> str:
        change = ThresholdChange.objects.filter(step=obj.step).first()
        return str(change) if change else "—"

    def save_model(self, request: HttpRequest, obj: StepThreshold, form, change: bool) -> None:
        if "threshold" in form.changed_data:
            threshold_apply(
                step=obj.step,
                new=obj.threshold,
                author=request.user,
                reason="manual",
                statistics=calibration_report(step=obj.step),
            )

    @admin.action(description="Apply calibration where the evidence is strong enough")
    def apply_calibration(self, request: HttpRequest, queryset: QuerySet[StepThreshold]) -> None:
        for policy in queryset:
            change, report = calibration_outcome(step=policy.step, author=request.user)
            if change is None:
                self.message_user(
                    request,
                    f"{policy.step}: left at {policy.threshold:g} ({unchanged_reason(report)})",
                    messages.INFO,
                )
            else:
                self.message_user(request, f"{change}", messages.SUCCESS)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _export_response(
    queryset: QuerySet[Evaluation], fmt: str, content_type: str
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        evaluations_export(queryset, fmt), content_type=f"{content_type}; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="evaluations-{stamp}.{fmt}"'
    return response

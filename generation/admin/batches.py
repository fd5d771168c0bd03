"""Batches in the admin: the add form (the API's validated service), pages and actions."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Sum
from django.http import FileResponse
from django.utils.html import format_html

from generation.admin.common import NanodeckAdmin, StepRunInline, _img
from generation.errors import BrokerUnavailable, InvalidInput, NanodeckError
from generation.exports import CONTENT_TYPES, export_file
from generation.models import Batch, BatchStatus, Page
from generation.options import QUALITIES, SIZES, BatchOptions
from generation.services.batches import (
    batch_approve,
    batch_cancel,
    batch_create,
    batch_enqueue,
    batch_retry_failed,
    outline_check_size,
)
from generation.services.queue import broker_check


class BatchStepRunInline(StepRunInline):
    verbose_name_plural = "batch-level step runs"

    def get_queryset(self, request):
        return super().get_queryset(request).batch_level()


class PageInline(admin.TabularInline):
    model = Page
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("index", "thumb", "kind", "title", "status", "flagged", "current_step")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="thumbnail")
    def thumb(self, obj: Page) -> str:
        return _img(obj.thumbnail, "medium")


class BatchCreateForm(forms.ModelForm):
    """Create a batch from the admin: checked by `BatchOptions.parse` before the service runs."""

    size = forms.ChoiceField(choices=[(size, size) for size in SIZES])
    quality = forms.ChoiceField(choices=[(q, q) for q in QUALITIES])
    provider = forms.CharField(initial=lambda: settings.NANODECK["DEFAULT_PROVIDER"])
    hedge = forms.NullBooleanField(
        required=False,
        help_text="Hedged render calls (a slow call gets one duplicate, both billed); "
        "Unknown: the provider's default.",
    )

    class Meta:
        model = Batch
        fields = ["title", "outline", "template"]

    def options(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("size", "quality", "provider", "hedge")}

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors:
            try:
                size = BatchOptions.parse(self.options()).dimensions
            except InvalidInput as exc:
                raise forms.ValidationError(exc.message) from None
            if not cleaned["template"].is_active:
                self.add_error("template", "this template is not active")
            try:
                outline_check_size(outline=cleaned["outline"], size=size)
            except InvalidInput as exc:
                self.add_error("outline", exc.message)
        if not self.errors:
            try:
                broker_check()  # said here, in the form: the save itself can only fail with a 500
            except BrokerUnavailable as exc:
                raise forms.ValidationError(exc.message) from None
        return cleaned


@admin.register(Batch)
class BatchAdmin(NanodeckAdmin):
    list_display = (
        "__str__",
        "status",
        "progress",
        "owner",
        "template",
        "provider",
        "cost",
        "created_at",
    )
    list_filter = ("status", "kind", "template", "created_at")
    search_fields = ("id", "title", "outline", "owner__username")
    list_select_related = ("owner", "template")
    raw_id_fields = ("owner",)
    readonly_fields = (
        "id",
        "status",
        "total_pages",
        "completed_pages",
        "failed_pages",
        "template_snapshot",
        "options",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "updated_at",
    )
    inlines = [PageInline, BatchStepRunInline]
    date_hierarchy = "created_at"
    actions = [
        "run_in_worker",
        "approve_plans",
        "retry_failed_pages",
        "cancel_batches",
        "export_pptx",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:  # adding: the same validated service as the API and the CLI
            return BatchCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": list(BatchCreateForm.base_fields)})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [] if obj is None else self.inlines

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        batch = batch_create(
            owner=request.user,
            template=form.cleaned_data["template"],
            outline=form.cleaned_data["outline"],
            title=form.cleaned_data["title"],
            options=form.options(),
            enqueue=True,
        )
        obj.pk, obj._state.adding, obj._state.db = batch.pk, False, "default"

    @admin.action(description="Run selected pending batches in the worker")
    def run_in_worker(self, request, queryset) -> None:
        pending = list(queryset.filter(status=BatchStatus.PENDING))
        try:
            for batch in pending:
                batch_enqueue(batch=batch)
        except BrokerUnavailable as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        skipped = queryset.count() - len(pending)
        self.message_user(
            request, f"queued {len(pending)} batch(es); {skipped} not pending, left alone"
        )
        if not pending:
            self.message_user(
                request, "nothing queued: only pending batches can be run", messages.WARNING
            )

    def _each(self, request, queryset, action, done: str) -> None:
        for batch in queryset:
            try:
                result = action(batch=batch)
            except NanodeckError as exc:
                self.message_user(request, f"{batch}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, done.format(batch=batch, result=result))

    @admin.action(description="Approve the plan (batches awaiting approval)")
    def approve_plans(self, request, queryset) -> None:
        self._each(request, queryset, batch_approve, "{batch}: approved, its pages are queued")

    @admin.action(description="Retry failed pages")
    def retry_failed_pages(self, request, queryset) -> None:
        self._each(
            request, queryset, batch_retry_failed, "{batch}: {result} failed page(s) queued again"
        )

    @admin.action(description="Cancel selected batches")
    def cancel_batches(self, request, queryset) -> None:
        self._each(request, queryset, batch_cancel, "{batch}: cancelled")

    @admin.action(description="Export as PPTX (one batch)")
    def export_pptx(self, request, queryset) -> FileResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "select exactly one batch to export", messages.WARNING)
            return None
        batch = queryset.get()
        try:
            deck = export_file(batch, "pptx")
        except NanodeckError as exc:
            self.message_user(request, f"{batch}: {exc.message}", messages.WARNING)
            return None
        return FileResponse(
            deck,
            as_attachment=True,
            filename=f"deck-{batch.pk}.pptx",
            content_type=CONTENT_TYPES["pptx"],
        )

    @admin.display(description="provider")
    def provider(self, obj: Batch) -> str:
        return obj.opts.provider

    @admin.display(description="cost (USD)", ordering="cost")
    def cost(self, obj: Batch) -> str:
        budget = obj.opts.budget_usd
        spent = f"{obj.cost or 0:.3f}"
        return f"{spent} / {budget:.2f}" if budget is not None else spent

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(cost=Sum("step_runs__cost_usd"))

    @admin.display(description="progress")
    def progress(self, obj: Batch) -> str:
        done = obj.completed_pages + obj.failed_pages
        return format_html(
            '<progress class="nd-progress" value="{}" max="{}" title="{} of {}"></progress> {}/{}',
            done,
            obj.total_pages or 1,
            done,
            obj.total_pages,
            done,
            obj.total_pages,
        )

"""Pages and their step runs in the admin. A page changes through services only: what it
shows (its plan's title, subtitle, items, layout) through the edit service, as over the API;
its other fields are read-only. Its versions strip brings back an earlier image, and the
list's actions regenerate pages or flag them for review."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse

from generation.admin.common import STEP_RUN_COLUMNS, NanodeckAdmin, StepRunInline, _img
from generation.admin.page_content import PageContentForm, content_fields
from generation.errors import NanodeckError
from generation.models import Page, StepRun
from generation.selectors import page_versions
from generation.services.page_actions import page_flag, page_regenerate, page_version_select
from generation.services.page_edits import page_edit

PAGE_FIELDS = (
    "batch",
    "index",
    "kind",
    "title",
    "status",
    "current_step",
    "resume_step",
    "flagged",
    "flag_reason",
    "error",
    "instruction",
    "instruction_source",
    "description",
    "image_prompt",
    "plan",
    "lease_owner",
    "lease_until",
    "queued_at",
    "started_at",
    "finished_at",
)


@admin.register(Page)
class PageAdmin(NanodeckAdmin):
    list_display = ("thumb", "title", "index", "kind", "status", "flagged", "batch")
    list_display_links = ("thumb", "title")
    list_filter = ("status", "kind", "flagged")
    search_fields = ("title", "description", "batch__title", "batch__id")
    list_select_related = ("batch",)
    form = PageContentForm
    readonly_fields = ("large", "versions", "versions_seen", *PAGE_FIELDS)
    inlines = [StepRunInline]
    actions = ["regenerate", "flag_for_review"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # pages come from planning, or from POST /api/v1/batches/{id}/pages/

    def get_fieldsets(self, request: HttpRequest, obj: Page | None = None) -> list:
        editable = obj is not None and self.has_change_permission(request, obj)
        content = content_fields(obj) if editable else []  # else the plan, read-only, says it
        shown = [(None, {"fields": ("large", "versions" if editable else "versions_seen")})]
        if content:
            shown.append(("What the page shows", {"fields": content}))
        return [*shown, ("Page", {"fields": PAGE_FIELDS})]

    def save_model(self, request: HttpRequest, obj: Page, form, change: bool) -> None:
        """Only the plan changes, through the service (the form has checked it)."""
        changes = form.changes()
        if not changes:
            return
        try:
            page_edit(page=obj, changes=changes)
        except NanodeckError as exc:  # the page started running since the form was checked
            self.message_user(request, exc.message, messages.ERROR)
        obj.refresh_from_db()

    def get_urls(self) -> list:
        select = self.admin_site.admin_view(self.select_version_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_select_version"
        urls = [path("<int:page_id>/versions/<int:run_id>/select/", select, name=name)]
        return urls + super().get_urls()

    def select_version_view(self, request: HttpRequest, page_id: int, run_id: int):
        """'Use this version' in the strip: the form posts here (with its CSRF token)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        page = get_object_or_404(Page, pk=page_id)
        if not self.has_change_permission(request, page):
            raise PermissionDenied
        run = get_object_or_404(StepRun, pk=run_id, page=page)
        try:
            page_version_select(page=page, run=run)
        except NanodeckError as exc:
            self.message_user(request, exc.message, messages.WARNING)
        else:
            self.message_user(request, f"attempt {run.attempt} is being made the page's image")
        change = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
        return HttpResponseRedirect(reverse(change, args=[page.pk]))

    @admin.display(description="versions")
    def versions(self, obj: Page) -> str:
        """Every image the render step made, oldest first, each with "use this version"."""
        return self._strip(obj, selectable=True)

    @admin.display(description="versions")
    def versions_seen(self, obj: Page) -> str:
        """The strip for who may only view the page: no buttons."""
        return self._strip(obj, selectable=False)

    def _strip(self, obj: Page, *, selectable: bool) -> str:
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_select_version"
        shown = [
            {
                "run": run,
                "src": default_storage.url(run.thumbnail_name or run.output_image.name),
                "select_url": reverse(name, args=[obj.pk, run.pk]) if selectable else "",
            }
            for run in page_versions(page=obj)
        ]
        return render_to_string("admin/generation/page_versions.html", {"versions": shown})

    def _each(self, request, queryset, action, done: str) -> None:
        for page in queryset.select_related("batch"):
            try:
                action(page)
            except NanodeckError as exc:
                self.message_user(request, f"{page}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, done.format(page=page))

    @admin.action(description="Regenerate (from describe)", permissions=["change"])
    def regenerate(self, request, queryset) -> None:
        self._each(
            request,
            queryset,
            lambda page: page_regenerate(page=page, from_step="describe"),
            "{page}: queued to run again from describe",
        )

    @admin.action(description="Flag for review", permissions=["change"])
    def flag_for_review(self, request, queryset) -> None:
        reason = f"flagged in the admin by {request.user.get_username()}"
        self._each(
            request,
            queryset,
            lambda page: page_flag(page=page, reason=reason),
            "{page}: its image is in the review queue",
        )

    @admin.display(description="thumbnail")
    def thumb(self, obj: Page) -> str:
        return _img(obj.thumbnail, "medium")

    @admin.display(description="image")
    def large(self, obj: Page) -> str:
        return _img(obj.image, "large")


@admin.register(StepRun)
class StepRunAdmin(NanodeckAdmin):
    list_display = ("__str__", "batch", *STEP_RUN_COLUMNS)
    list_filter = ("step", "passed", "selected", "provider", "error_kind", "cache_hit", "hedged")
    search_fields = ("batch__id", "batch__title", "page__title", "error_message")
    list_select_related = ("batch", "page")
    raw_id_fields = ("batch", "page")
    readonly_fields = [field.name for field in StepRun._meta.fields] + ["preview"]

    @admin.display(description="output image")
    def preview(self, obj: StepRun) -> str:
        return _img(obj.output_image, "large")

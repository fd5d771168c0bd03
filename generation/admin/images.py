"""Single images and uploads in the admin: a gallery of images (batches of kind image) with
their thumbnails, prompt search and filters by mode, status and provider; the users' uploads.

Both are made through the API (its checks); here they are looked at, cancelled or deleted."""

from django.contrib import admin
from django.db.models import QuerySet, Sum

from generation.admin.common import NanodeckAdmin, _img
from generation.models import Batch, SingleImage, Upload
from generation.services.images import MODES


class ModeFilter(admin.SimpleListFilter):
    title = "mode"
    parameter_name = "mode"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [(mode, mode) for mode in MODES]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() in MODES:
            return queryset.filter(pages__index=0, pages__plan__mode=self.value())
        return queryset


class ProviderFilter(admin.SimpleListFilter):
    title = "provider"
    parameter_name = "provider"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        providers = Batch.objects.filter(kind="image").values_list("options__provider", flat=True)
        return [(name, name) for name in sorted(set(providers)) if name]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(options__provider=self.value())
        return queryset


@admin.register(SingleImage)
class SingleImageAdmin(NanodeckAdmin):
    list_display = ("thumb", "prompt", "mode", "status", "provider", "owner", "cost", "created_at")
    list_display_links = ("thumb", "prompt")
    list_filter = (ModeFilter, "status", ProviderFilter, "created_at")
    search_fields = ("outline", "owner__username")
    list_select_related = ("owner",)
    list_per_page = 40
    date_hierarchy = "created_at"
    fields = ("preview", "outline", "mode", "status", "owner", "options", "error", "created_at")
    readonly_fields = fields

    def get_queryset(self, request) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .filter(kind="image")
            .prefetch_related("pages")
            .annotate(cost=Sum("step_runs__cost_usd"))
        )

    def has_add_permission(self, request) -> bool:
        return False  # made through the API, with its checks

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @staticmethod
    def _page(obj: Batch):
        pages = obj.pages.all()
        return pages[0] if pages else None

    @admin.display(description="image")
    def thumb(self, obj: Batch) -> str:
        page = self._page(obj)
        return _img(page.thumbnail if page else None, "medium")

    @admin.display(description="image")
    def preview(self, obj: Batch) -> str:
        page = self._page(obj)
        return _img(page.image if page else None, "large")

    @admin.display(description="prompt", ordering="outline")
    def prompt(self, obj: Batch) -> str:
        return obj.outline if len(obj.outline) <= 120 else obj.outline[:120] + "…"

    @admin.display(description="mode")
    def mode(self, obj: Batch) -> str:
        page = self._page(obj)
        return page.plan.get("mode", "") if page else ""

    @admin.display(description="provider")
    def provider(self, obj: Batch) -> str:
        return obj.opts.provider

    @admin.display(description="cost (USD)", ordering="cost")
    def cost(self, obj: Batch) -> str:
        return f"{obj.cost or 0:.3f}"


@admin.register(Upload)
class UploadAdmin(NanodeckAdmin):
    list_display = ("thumb", "owner", "format", "dimensions", "created_at", "used_at")
    list_filter = ("format", ("used_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("id", "sha256", "owner__username")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    fields = (
        "preview",
        "id",
        "owner",
        "format",
        "width",
        "height",
        "sha256",
        "created_at",
        "used_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False  # uploads come through the API, which checks them

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="picture")
    def thumb(self, obj: Upload) -> str:
        return _img(obj.file, "small")

    @admin.display(description="picture")
    def preview(self, obj: Upload) -> str:
        return _img(obj.file, "large")

    @admin.display(description="size")
    def dimensions(self, obj: Upload) -> str:
        return f"{obj.width}x{obj.height}"

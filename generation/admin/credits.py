"""Credits in the admin: users with their balance and ledger, the grant action, and the ledger
itself, read-only (entries are append-only: only the services write them)."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from generation.api.account_serializers import MAX_GRANT
from generation.errors import NanodeckError
from generation.models import CreditEntry
from generation.services.credits import credits_grant

ENTRY_FIELDS = (
    "created_at",
    "kind",
    "amount",
    "balance_after",
    "held_after",
    "reason",
    "batch",
    "created_by",
)


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CreditEntryInline(ReadOnlyMixin, admin.TabularInline):
    model = CreditEntry
    fk_name = "user"
    fields = readonly_fields = ENTRY_FIELDS
    ordering = ["-created_at", "-id"]
    extra = 0
    verbose_name_plural = "credit ledger (newest first)"


class GrantForm(forms.Form):
    amount = forms.IntegerField(min_value=1, max_value=MAX_GRANT, help_text="Credits per user.")
    reason = forms.CharField(max_length=300, help_text="Shown in each user's ledger.")


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class CreditUserAdmin(UserAdmin):
    """Django's user admin with the credit balance in the list, the ledger on the page and
    the grant action."""

    list_display = (*UserAdmin.list_display, "credits", "credits_held")
    list_select_related = ("credit_balance",)
    inlines = [CreditEntryInline]
    actions = ["grant_credits"]

    @admin.display(description="credits", ordering="credit_balance__balance")
    def credits(self, user: object) -> int:
        return getattr(getattr(user, "credit_balance", None), "balance", 0)

    @admin.display(description="held", ordering="credit_balance__held")
    def credits_held(self, user: object) -> int:
        return getattr(getattr(user, "credit_balance", None), "held", 0)

    @admin.action(description="Grant credits to the selected users", permissions=["change"])
    def grant_credits(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        form = GrantForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Grant credits",
                "form": form,
                "users": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/generation/grant_credits.html", context)
        amount, reason = form.cleaned_data["amount"], form.cleaned_data["reason"]
        batch_key = uuid.uuid4().hex
        try:
            for user in queryset:
                credits_grant(
                    user=user,
                    amount=amount,
                    reason=reason,
                    key=f"grant:admin:{batch_key}:{user.pk}",
                    by=request.user,
                )
        except NanodeckError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        self.message_user(request, f"Granted {amount} credits to {queryset.count()} user(s)")
        return None


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "user", *ENTRY_FIELDS[1:])
    list_filter = ("kind", "created_at")
    # a batch's id is part of the keys of its entries ("reserve:batch:<id>")
    search_fields = ("user__username", "user__email", "reason", "key")
    list_select_related = ("user", "batch", "created_by")
    raw_id_fields = ("user", "batch", "created_by")
    readonly_fields = ("user", *ENTRY_FIELDS, "key")
    date_hierarchy = "created_at"

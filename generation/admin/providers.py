"""The providers page in the admin."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from generation.models import ProviderGate
from generation.providers.health import circuit_reset, provider_health


@admin.register(ProviderGate)
class ProviderGateAdmin(admin.ModelAdmin):
    """The providers page: the figures of GET /api/v1/providers/ for every provider (a gate
    row exists only once a provider has been called), and an action to close circuits."""

    actions = ["reset_circuit"]
    readonly_fields = [field.name for field in ProviderGate._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            response = self.response_action(request, queryset=self.get_queryset(request))
            return response or HttpResponseRedirect(request.get_full_path())
        gate_ids = dict(ProviderGate.objects.values_list("provider", "pk"))
        action_form = self.action_form(auto_id=None)
        action_form.fields["action"].choices = self.get_action_choices(request)
        context = {
            **self.admin_site.each_context(request),
            "title": "Providers",
            "subtitle": "Figures over the last hour",
            "opts": self.model._meta,
            "providers": [
                {**row, "gate_id": gate_ids.get(row["name"])} for row in provider_health()
            ],
            "action_form": action_form,
            "can_act": self.has_change_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/generation/providers.html", context)

    @admin.action(description="Reset circuit (close it now)", permissions=["change"])
    def reset_circuit(self, request, queryset) -> None:
        closed = circuit_reset(gates=queryset)
        self.message_user(request, f"closed {closed} circuit(s)")

"""What a page shows, edited in the admin: its plan's title, subtitle, items and layout,
checked and stored by the same service as PATCH /api/v1/pages/{id}/."""

import json

from django import forms

from generation.errors import NanodeckError
from generation.models import Page
from generation.planning.plan_changes import EDITABLE_FIELDS
from generation.services.page_edits import LAYOUT_CHOICES, page_plan_edited

FORM_FIELDS = {"title": "plan_title", "subtitle": "plan_subtitle", "items": "plan_items"}
FORM_FIELDS["layout"] = "plan_layout"


def content_fields(page: Page) -> list[str]:
    """The form fields a page of its kind has."""
    return [FORM_FIELDS[name] for name in EDITABLE_FIELDS.get(page.kind, ())]


class PageContentForm(forms.ModelForm):
    plan_title = forms.CharField(label="title", max_length=300)
    plan_subtitle = forms.CharField(label="subtitle", max_length=300, required=False)
    plan_items = forms.JSONField(
        label="items",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 90}),
        help_text='A list of {"title", "text", "children": [...]}.',
    )
    plan_layout = forms.ChoiceField(
        label="layout", choices=[(name, name) for name in LAYOUT_CHOICES], required=False
    )

    class Meta:
        model = Page
        fields: list[str] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        plan, kept = self.instance.plan, content_fields(self.instance)
        for name in [name for name in self.fields if name not in kept]:
            del self.fields[name]
        initial = {
            "plan_title": plan.get("title", ""),
            "plan_subtitle": plan.get("subtitle", ""),
            "plan_items": json.loads(json.dumps(plan.get("items", []))),
            "plan_layout": plan.get("layout", "auto"),
        }
        for name in self.fields:
            self.fields[name].initial = initial[name]

    def changes(self) -> dict:
        """What differs from the page's plan, keyed as the service takes it."""
        return {
            key: self.cleaned_data[field]
            for key, field in FORM_FIELDS.items()
            if field in self.fields and field in self.changed_data
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors and self.changes():
            try:
                page_plan_edited(page=self.instance, changes=self.changes())
            except NanodeckError as exc:
                raise forms.ValidationError(exc.message) from None
        return cleaned

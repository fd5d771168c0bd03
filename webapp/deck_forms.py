"""The deck page's and the page view's forms: what people type, turned into what the page edit,
regenerate and flag services take. The services check the values (what a page's kind lets
change, that the text fits its slide); these forms only shape them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from generation.models import Page
from generation.planning.plan_changes import EDITABLE_FIELDS, MAX_ITEMS, MAX_TITLE
from generation.services.page_edits import LAYOUT_CHOICES
from generation.services.regeneration import MODES

ITEMS_HELP = _(
    'One item a line, "Title: text" (or just a title); indented lines are the item\'s sub-points.'
)
LAYOUT_LABELS = {
    "auto": _("Automatic"),
    "bullets": _("Bullets"),
    "steps": _("Steps"),
    "step_list": _("Step list"),
    "grid": _("Grid"),
    "two_column": _("Two columns"),
    "hierarchy": _("Hierarchy"),
    "problem_solution": _("Problem and solution"),
}
MODE_LABELS = {"redraw": _("Redraw: a new image"), "refine": _("Refine: edit this image")}


def items_to_text(items: list[dict]) -> str:
    """A plan's items as the form's text: "Title: text", sub-points indented below."""
    lines = []
    for item in items:
        title, text = item.get("title", ""), item.get("text", "")
        lines.append(f"{title}: {text}" if text else title)
        lines.extend(f"  - {child}" for child in item.get("children", []))
    return "\n".join(lines)


def items_from_text(text: str) -> list[dict]:
    """The form's text as plan items (the inverse of items_to_text)."""
    items: list[dict] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        content = line.strip().removeprefix("- ").strip()
        if line[:1].isspace() and items:
            items[-1]["children"].append(content)
            continue
        title, _sep, rest = content.replace("：", ": ", 1).partition(": ")
        items.append({"title": title.strip(), "text": rest.strip(), "children": []})
    return items


class PlanForm(forms.Form):
    """What a page shows, as its kind lets it change: the page edit service's `changes`."""

    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    subtitle = forms.CharField(label=_("Subtitle"), max_length=MAX_TITLE, required=False)
    items = forms.CharField(
        label=_("Items"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=ITEMS_HELP,
    )
    layout = forms.ChoiceField(
        label=_("Layout"), choices=[(key, LAYOUT_LABELS[key]) for key in LAYOUT_CHOICES]
    )

    def __init__(self, *args: object, page: Page, local: bool = True, **kwargs: object) -> None:
        self.page = page
        plan = page.plan
        kwargs.setdefault(
            "initial",
            {
                "title": plan.get("title", page.title),
                "subtitle": plan.get("subtitle", ""),
                "items": items_to_text(plan.get("items", [])),
                "layout": plan.get("layout", "auto"),
            },
        )
        kwargs.setdefault("prefix", f"plan-{page.index}")
        super().__init__(*args, **kwargs)
        allowed = EDITABLE_FIELDS.get(page.kind, ())
        for name in list(self.fields):
            if name not in allowed or (name == "layout" and not local):
                del self.fields[name]

    def clean_items(self) -> list[dict]:
        items = items_from_text(self.cleaned_data["items"])
        if len(items) > MAX_ITEMS:
            raise forms.ValidationError(
                _("At most %(limit)s items on a page."), params={"limit": MAX_ITEMS}
            )
        if not items:
            raise forms.ValidationError(_("A content page needs at least one item."))
        return items

    def changes(self) -> dict:
        """Only what differs from the page's plan (the service runs the page again for it)."""
        before = {**self.initial, "items": self.page.plan.get("items", [])}
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value != before.get(name)
            and not (name == "items" and _same_items(value, before["items"]))
        }


def _same_items(new: list[dict], old: list[dict]) -> bool:
    return items_from_text(items_to_text(old)) == new


class NewPageForm(forms.Form):
    """A content page added at a position (1 = first)."""

    position = forms.IntegerField(label=_("Position"), min_value=1)
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    items = forms.CharField(
        label=_("Items"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=ITEMS_HELP,
    )

    def clean_items(self) -> list[dict]:
        return items_from_text(self.cleaned_data["items"])

    def plan(self) -> dict:
        return {"title": self.cleaned_data["title"], "items": self.cleaned_data["items"]}


class RegenerateForm(forms.Form):
    """An instruction for an image model: refine this image or redraw it."""

    instruction = forms.CharField(
        label=_("What to change"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    mode = forms.ChoiceField(
        label=_("How"), choices=[(mode, MODE_LABELS[mode]) for mode in MODES], initial="redraw"
    )


class FlagForm(forms.Form):
    reason = forms.CharField(label=_("What is wrong"), max_length=300)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])

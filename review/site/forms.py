"""The review site's forms: the step filter and the evaluation of one item."""

from django import forms
from django.conf import settings

from generation.errors import Conflict, InvalidInput
from generation.models import Page, Step
from generation.render.layouts import CONTENT_LAYOUTS
from generation.services.regeneration import (
    MAX_TEXT,
    TEXT_SCALE,
    edits_allowed,
    renders_locally,
)
from review.models import Criterion, Verdict

SCALE = [(value, value) for value in range(1, 11)]
SCORE_ERRORS = {
    "required": "Score this criterion from 1 to 10.",
    "min_value": "Scores go from 1 to 10.",
    "max_value": "Scores go from 1 to 10.",
}


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=Step.choices, required=False)


def _items_text(plan: dict) -> str:
    """The plan's items, one a line: "title: text" (or either alone)."""
    lines = []
    for item in plan.get("items") or []:
        title, text = item.get("title", ""), item.get("text", "")
        lines.append(f"{title}: {text}" if title and text else title or text)
    return "\n".join(lines)


def _items(text: str) -> list[dict]:
    """Lines of "title: text" (a line without a colon is a title) as plan items."""
    items = []
    for line in text.splitlines():
        title, colon, rest = line.replace("：", ":").partition(":")
        if line.strip():
            items.append(
                {"title": title.strip(), "text": rest.strip()}
                if colon
                else {"title": line.strip(), "text": ""}
            )
    return items


def _edit_fields(plan: dict) -> dict[str, forms.Field]:
    """The local renderer's edits as form fields, showing the page as it is."""
    items = plan.get("items") or []
    return {
        "title": forms.CharField(
            required=False, max_length=MAX_TEXT, initial=plan.get("title", ""), label="Title"
        ),
        "subtitle": forms.CharField(
            required=False, max_length=MAX_TEXT, initial=plan.get("subtitle", ""), label="Subtitle"
        ),
        "items": forms.CharField(
            required=False,
            initial=_items_text(plan),
            label="Items, one a line (title: text)",
            widget=forms.Textarea(attrs={"rows": 4}),
        ),
        "layout": forms.ChoiceField(
            required=False, choices=[("", "as now"), *((n, n) for n in CONTENT_LAYOUTS)]
        ),
        "text_scale": forms.FloatField(
            required=False,
            min_value=TEXT_SCALE[0],
            max_value=TEXT_SCALE[1],
            label=f"Text scale ({TEXT_SCALE[0]}-{TEXT_SCALE[1]})",
            widget=forms.NumberInput(attrs={"step": "0.05"}),
        ),
        "emphasis": forms.TypedChoiceField(
            required=False,
            coerce=int,
            empty_value=None,
            label="Emphasise item",
            choices=[("", "none")]
            + [(n, item.get("title") or item.get("text") or n + 1) for n, item in enumerate(items)],
        ),
    }


class EvaluationForm(forms.Form):
    """One 1-10 per active criterion of the step (fields `score_<key>`), the verdict, what to
    change (required for regenerate: an instruction for an image model, or for a page drawn
    by the local renderer the edits `edit_<name>` it takes), a comment and the seconds spent."""

    verdict = forms.ChoiceField(
        choices=Verdict.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose accept, reject or regenerate."},
    )
    instruction = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    seconds = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: object, criteria: list[Criterion], page: Page | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        self.local = page is not None and renders_locally(page)
        self.plan = page.plan if page is not None else {}
        if self.local:
            del self.fields["instruction"]
            fields = _edit_fields(self.plan)
            for name in edits_allowed(page):
                self.fields[f"edit_{name}"] = fields[name]
        for criterion in criteria:
            self.fields[f"score_{criterion.key}"] = forms.IntegerField(
                min_value=1,
                max_value=10,
                label=criterion.label,
                help_text=criterion.description,
                widget=forms.RadioSelect(choices=SCALE),
                error_messages=SCORE_ERRORS,
            )

    def score_fields(self) -> list[forms.BoundField]:
        return [self[f"score_{criterion.key}"] for criterion in self.criteria]

    def clean_seconds(self) -> int:
        """Time since the page loaded, as the browser measured it: 0 up to the lease length."""
        seconds = self.cleaned_data["seconds"] or 0
        return min(max(seconds, 0), settings.NANODECK["REVIEW_LEASE_SECONDS"])

    def edit_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("edit_")]

    def edits(self) -> dict:
        """The edits the evaluator made: only the fields sent and changed from the page."""
        plan = self.plan
        data = {key: value for key, value in self.cleaned_data.items() if key in self.data}
        edits = {}
        for name in ("title", "subtitle"):
            value = data.get(f"edit_{name}")
            if value is not None and value != (plan.get(name) or ""):
                edits[name] = value
        items = data.get("edit_items")
        if items is not None and _items(items) != _items(_items_text(plan)):
            edits["items"] = _items(items)
        for name in ("layout", "text_scale", "emphasis"):
            if data.get(f"edit_{name}") not in (None, ""):
                edits[name] = data[f"edit_{name}"]
        return edits

    def submission(self) -> dict:
        """The keyword arguments of evaluation_submit besides the item and the evaluator."""
        data = self.cleaned_data
        return {
            "scores": {c.key: data[f"score_{c.key}"] for c in self.criteria},
            "verdict": data["verdict"],
            "instruction": data.get("instruction", ""),
            "edits": self.edits() if self.local else None,
            "comment": data["comment"],
            "seconds_spent": data["seconds"],
        }

    def add_service_error(self, error: InvalidInput | Conflict) -> None:
        """Show a service error next to the field it names, or above the form."""
        names = [name for key in error.details for name in (key, f"edit_{key}")]
        fields = [name for name in names if name in self.fields]
        self.add_error(fields[0] if fields else None, error.message)

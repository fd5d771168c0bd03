"""The review site's forms: the step filter and the evaluation of one item."""

from django import forms
from django.conf import settings

from generation.errors import Conflict, InvalidInput
from generation.models import Step
from review.models import Criterion, Verdict

SCALE = [(value, value) for value in range(1, 11)]
SCORE_ERRORS = {
    "required": "Score this criterion from 1 to 10.",
    "min_value": "Scores go from 1 to 10.",
    "max_value": "Scores go from 1 to 10.",
}


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=Step.choices, required=False)


class EvaluationForm(forms.Form):
    """One 1-10 per active criterion of the step (fields `score_<key>`), the verdict, the
    instruction (the service requires it for regenerate), a comment and the seconds spent."""

    verdict = forms.ChoiceField(
        choices=Verdict.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose accept, reject or regenerate."},
    )
    instruction = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    seconds = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, criteria: list[Criterion], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
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

    def submission(self) -> dict:
        """The keyword arguments of evaluation_submit besides the item and the evaluator."""
        data = self.cleaned_data
        return {
            "scores": {c.key: data[f"score_{c.key}"] for c in self.criteria},
            "verdict": data["verdict"],
            "instruction": data["instruction"],
            "comment": data["comment"],
            "seconds_spent": data["seconds"],
        }

    def add_service_error(self, error: InvalidInput | Conflict) -> None:
        """Show a service error next to the field it names, or above the form."""
        fields = [name for name in error.details if name in self.fields]
        self.add_error(fields[0] if fields else None, error.message)

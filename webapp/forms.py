"""The web app's forms. They parse what a person typed; the rules are the services' (and the
API serializers' they share), whose errors `add_service_error` shows on the field they name."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from generation.api.account_serializers import RegisterSerializer
from generation.errors import NanodeckError
from generation.options import DELIVERIES, MAX_BUDGET_USD, QUALITIES, SIZES
from webapp.selectors import active_templates, provider_models

OUTLINE_SUFFIXES = (".md", ".markdown", ".txt")
# A file's bytes for an outline of MAX_OUTLINE_CHARS characters (up to 4 bytes each in UTF-8).
OUTLINE_BYTES_PER_CHAR = 4
LANGUAGE_CHOICES = [("auto", _("Same as the outline")), ("zh", _("Chinese")), ("en", _("English"))]
QUALITY_CHOICES = [(q, {"standard": _("Standard"), "hd": _("HD")}[q]) for q in QUALITIES]
DELIVERY_CHOICES = [
    (d, {"interactive": _("Now, page by page"), "batch": _("Batch API (half price, slower)")}[d])
    for d in DELIVERIES
]
# A service error's field (its `details` key) → the form's field that shows it.
FIELD_OF = {"pause_after": "pause_after_plan", "references": "files"}


def add_service_error(form: forms.Form, error: NanodeckError) -> None:
    """Show a service's error on the first field it names that the form has, else on top."""
    for key in error.details:
        field = FIELD_OF.get(key, key)
        if field in form.fields:
            form.add_error(field, error.message)
            return
    form.add_error(None, error.message)


class SignUpForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), max_length=254)
    password = forms.CharField(
        label=_("Password"), max_length=128, strip=False, widget=forms.PasswordInput
    )

    def clean(self) -> dict:
        """The API's sign-up rules (RegisterSerializer: username characters, Django's password
        validators with the username and email)."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        checked = RegisterSerializer(data=cleaned)
        if not checked.is_valid():
            for field, messages in checked.errors.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, str(message))
            return cleaned
        return dict(checked.validated_data)


def provider_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in provider_models()]


def model_choices() -> list[tuple[str, object]]:
    choices: list[tuple[str, object]] = [("", _("The provider's default"))]
    for provider, models in provider_models().items():
        choices.append((provider, [(model, model) for model in models]))
    return choices


class DeckForm(forms.Form):
    """A new deck: template, outline (typed, a file, or drafted from a brief) and options."""

    template = forms.ModelChoiceField(
        label=_("Template"),
        queryset=active_templates(),
        to_field_name="slug",
        widget=forms.RadioSelect,
        empty_label=None,
    )
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    outline = forms.CharField(label=_("Outline"), required=False, widget=forms.Textarea)
    outline_file = forms.FileField(label=_("Or upload a .md or .txt file"), required=False)
    brief = forms.CharField(label=_("Brief"), max_length=2000, required=False)
    size = forms.ChoiceField(label=_("Size"), choices=[(s, s) for s in SIZES])
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, initial="auto")
    provider = forms.ChoiceField(label=_("Image provider"))
    model = forms.ChoiceField(label=_("Image model"), required=False)
    text_provider = forms.ChoiceField(label=_("Text provider"), initial="local")
    quality = forms.ChoiceField(label=_("Quality"), choices=QUALITY_CHOICES)
    delivery = forms.ChoiceField(label=_("Delivery"), choices=DELIVERY_CHOICES)
    ending = forms.BooleanField(label=_("End with a closing page"), required=False, initial=True)
    pause_after_plan = forms.BooleanField(
        label=_("Pause after planning, to check the pages before drawing"), required=False
    )
    budget_usd = forms.DecimalField(
        label=_("Budget (US dollars, optional)"),
        required=False,
        min_value=0,
        max_value=MAX_BUDGET_USD,
        decimal_places=2,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        providers = provider_choices()
        self.fields["provider"].choices = providers
        self.fields["text_provider"].choices = providers
        self.fields["model"].choices = model_choices()
        self.fields["size"].initial = settings.NANODECK["DEFAULT_SIZE"]
        self.fields["provider"].initial = settings.NANODECK["DEFAULT_PROVIDER"]
        self.fields["template"].initial = self.fields["template"].queryset.first()

    def clean_outline_file(self) -> str:
        """The file's text ("" without a file); a file that is not UTF-8 text is refused."""
        upload = self.cleaned_data.get("outline_file")
        if not upload:
            return ""
        if not upload.name.lower().endswith(OUTLINE_SUFFIXES):
            raise forms.ValidationError(_("Choose a .md or .txt file."))
        limit = settings.NANODECK["MAX_OUTLINE_CHARS"] * OUTLINE_BYTES_PER_CHAR
        if upload.size > limit:
            raise forms.ValidationError(_("The file is too large for an outline."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None

    def clean(self) -> dict:
        """The outline typed, else the file's; line ends as in a file (browsers send CRLF)."""
        cleaned = super().clean()
        outline = cleaned.get("outline") or ""
        if not outline.strip() and cleaned.get("outline_file"):
            outline = cleaned["outline_file"]
        cleaned["outline"] = outline.replace("\r\n", "\n")
        return cleaned

    def options(self) -> dict:
        """The batch options, as the API's `options` would give them."""
        data = self.cleaned_data
        budget = data.get("budget_usd")
        return {
            "size": data["size"],
            "language": data["language"],
            "provider": data["provider"],
            "model": data.get("model") or "",
            "text_provider": data["text_provider"],
            "quality": data["quality"],
            "delivery": data["delivery"],
            "ending": bool(data.get("ending")),
            "pause_after": "plan" if data.get("pause_after_plan") else "",
            "budget_usd": None if budget is None else float(budget),
        }

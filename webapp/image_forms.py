"""The new image form: a prompt, text or image mode, pictures to start from, and options."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from generation.options import QUALITIES
from generation.providers.base import IMAGE_SIZES
from generation.services.batch_images import MAX_PHOTOS
from generation.services.images import ASPECT_RATIOS, DEFAULT_ASPECT_RATIO, MAX_PROMPT_CHARS
from webapp.forms import QUALITY_CHOICES, model_choices, provider_choices
from webapp.selectors import active_templates

MODE_CHOICES = [("text", _("From text")), ("image", _("From my pictures"))]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files under one name; each is checked by the upload service, not here."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: object, initial: object = None) -> list:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(
                _("Choose at most %(count)d pictures.") % {"count": MAX_PHOTOS}
            )
        return list(files)


class ImageForm(forms.Form):
    prompt = forms.CharField(
        label=_("Prompt"), max_length=MAX_PROMPT_CHARS, widget=forms.Textarea(attrs={"rows": 4})
    )
    mode = forms.ChoiceField(
        label=_("Start from"), choices=MODE_CHOICES, initial="text", widget=forms.RadioSelect
    )
    files = MultipleImageField(label=_("Pictures (PNG, JPEG or WebP)"), required=False)
    aspect_ratio = forms.ChoiceField(
        label=_("Aspect ratio"),
        choices=[(r, r) for r in ASPECT_RATIOS],
        initial=DEFAULT_ASPECT_RATIO,
    )
    size = forms.ChoiceField(
        label=_("Size"),
        choices=[("", _("Default")), *((s, s) for s in IMAGE_SIZES)],
        required=False,
    )
    quality = forms.ChoiceField(label=_("Quality"), choices=QUALITY_CHOICES, initial=QUALITIES[0])
    provider = forms.ChoiceField(label=_("Image provider"))
    model = forms.ChoiceField(label=_("Image model"), required=False)
    template = forms.ModelChoiceField(
        label=_("Style of template"),
        queryset=active_templates(),
        to_field_name="slug",
        required=False,
        empty_label=_("The first template"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = provider_choices()
        self.fields["provider"].initial = settings.NANODECK["DEFAULT_PROVIDER"]
        self.fields["model"].choices = model_choices()

    def image_fields(self) -> dict:
        """What the image service takes, besides the owner and the pictures."""
        data = self.cleaned_data
        return {
            key: data.get(key) or ""
            for key in ("prompt", "mode", "aspect_ratio", "size", "quality", "provider", "model")
        } | {"template": data.get("template")}

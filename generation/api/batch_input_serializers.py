"""What a client sends to create and list batches and to export one: the documented shape of a
batch's options (its values are checked by batch_create), the template by slug, the images
uploaded with a batch, the list filter and the export format."""

import json

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

from config.fields import StrictCharField
from generation.exports import FORMATS
from generation.models import BatchStatus
from generation.options import DELIVERIES, LANGUAGES, MAX_BUDGET_USD, PAUSES, QUALITIES, SIZES
from generation.services.batch_images import MAX_PHOTOS
from templates_app.api import ReferenceImageField
from templates_app.models import SlideTemplate


class BatchOptionsSerializer(serializers.Serializer):
    """The documented shape of `options`, its choices from generation.options; batch_create
    validates the values (BatchOptions.parse). An empty string or null means the default."""

    size = serializers.ChoiceField(
        choices=SIZES, required=False, allow_blank=True, help_text="The slide size."
    )
    language = serializers.ChoiceField(
        choices=LANGUAGES,
        required=False,
        allow_blank=True,
        help_text="auto (default: the outline's language), zh or en: the words the deck adds "
        "itself (contents title, section labels, ending page) and the language text models "
        "are asked to write in.",
    )
    provider = serializers.CharField(
        required=False, allow_blank=True, help_text="Image provider, e.g. local."
    )
    model = serializers.CharField(
        required=False, allow_blank=True, help_text="Image model offered by that provider."
    )
    quality = serializers.ChoiceField(choices=QUALITIES, required=False, allow_blank=True)
    text_provider = serializers.CharField(
        required=False, allow_blank=True, help_text="Text provider, e.g. local."
    )
    budget_usd = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_BUDGET_USD,
        help_text="Stop new provider calls once the estimated spend reaches this (USD).",
    )
    fresh = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Never reuse a stored image of an identical request.",
    )
    ending = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="A closing page (thanks, the sections in brief) ends the deck (default true).",
    )
    delivery = serializers.ChoiceField(
        choices=DELIVERIES,
        required=False,
        allow_blank=True,
        help_text="interactive (default), or batch: the render calls go to Gemini's Batch API "
        "at half the price and the pages wait for its jobs (provider gemini only).",
    )
    pause_after = serializers.ChoiceField(
        choices=PAUSES,
        required=False,
        allow_blank=True,
        help_text="plan: stop once the pages are planned (status awaiting_approval), before any "
        "image is paid for; the pages' plans can be read, and POST .../approve/ goes on.",
    )
    hedge = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Hedged render calls: a call slower than the provider's recent p90 gets one "
        "duplicate, the first good answer wins, both are billed. Null: the provider's default "
        "(HEDGE_PROVIDERS). Not with delivery batch or provider kie.",
    )


@extend_schema_field(BatchOptionsSerializer)
class OptionsField(serializers.DictField):
    """Passed to batch_create as given, so an unknown option is refused by name there. A
    multipart form sends the object as JSON text."""

    default_error_messages = {"not_json": "Options must be a JSON object (as text in a form)."}

    def get_value(self, dictionary: object) -> object:
        if html.is_html_input(dictionary):
            return dictionary.get(self.field_name, empty)
        return super().get_value(dictionary)

    def to_internal_value(self, data: object) -> dict:
        if isinstance(data, str) and html.is_html_input(self.root.initial_data):
            try:
                data = json.loads(data)
            except (ValueError, RecursionError):
                self.fail("not_json")
        return super().to_internal_value(data)


class TemplateSlugField(serializers.SlugRelatedField):
    """An active template by slug; a slug that is not text is refused before any lookup."""

    def to_internal_value(self, data: object) -> SlideTemplate:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class BatchCreateSerializer(serializers.Serializer):
    outline = StrictCharField(help_text="Markdown or numbered outline (Chinese or English).")
    template = TemplateSlugField(
        slug_field="slug",
        queryset=SlideTemplate.objects.active(),
        help_text="Slug of an active template.",
    )
    title = StrictCharField(max_length=300, required=False, allow_blank=True, default="")
    options = OptionsField(required=False, default=dict)
    logo = ReferenceImageField(
        required=False,
        help_text="Multipart only: the batch's logo, drawn in a corner of every page by the "
        "local renderer and sent to image models after the template's images.",
    )
    reference_images = serializers.ListField(
        child=ReferenceImageField(),
        required=False,
        max_length=MAX_PHOTOS,
        help_text=f"Multipart only: up to {MAX_PHOTOS} photos (e.g. a product); the local "
        "renderer puts the first on the cover, image models get them all after the template's "
        "images. Held to the template image caps (TEMPLATE_IMAGE_MAX_*).",
    )
    references = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=MAX_PHOTOS,
        help_text="Ids of your uploads (POST /api/v1/uploads/) to use as reference photos, "
        "like reference_images (together at most the same number).",
    )


class BatchFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=BatchStatus.choices, required=False, allow_blank=True, help_text="Empty: any."
    )


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=FORMATS, default="pptx")

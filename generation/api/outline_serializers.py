"""An outline drafted from a brief by a text model: the request and its answer."""

from django.conf import settings
from rest_framework import serializers

from config.fields import StrictCharField
from generation.options import LANGUAGES


class OutlineDraftSerializer(serializers.Serializer):
    brief = StrictCharField(
        max_length=2000, help_text="What the deck is about, in a sentence or a few."
    )
    language = serializers.ChoiceField(
        choices=LANGUAGES, default="auto", help_text="auto: the brief's own language."
    )
    pages = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="About how many content slides (at most MAX_PAGES_PER_BATCH).",
    )
    text_provider = StrictCharField(
        max_length=40,
        default="local",
        help_text="A provider with a text model that writes (gemini, openai); local writes none.",
    )

    def validate_pages(self, pages: int) -> int:
        limit = settings.NANODECK["MAX_PAGES_PER_BATCH"]
        if pages > limit:
            raise serializers.ValidationError(
                f"Ensure this value is less than or equal to {limit}."
            )
        return pages


class OutlineDraftAnswerSerializer(serializers.Serializer):
    outline = serializers.CharField(
        help_text="Markdown; edit it, then send it as a batch's outline."
    )

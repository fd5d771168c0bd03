"""What `POST /api/v1/pages/{id}/regenerate/` takes (see services/regeneration.py)."""

from rest_framework import serializers

from config.fields import StrictCharField, StrictIntegerField
from generation.models import PAGE_STEPS
from generation.render.layouts import CONTENT_LAYOUTS
from generation.services.regeneration import MAX_ITEMS, MAX_TEXT, MODES, TEXT_SCALE


class _ClosedSerializer(serializers.Serializer):
    """Refuses keys it does not declare, naming them (a misspelt edit must not pass unnoticed)."""

    def to_internal_value(self, data: object) -> dict:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {key: [f"unknown field; known: {', '.join(self.fields)}"] for key in unknown}
                )
        return super().to_internal_value(data)


class PageEditItemSerializer(_ClosedSerializer):
    title = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")
    text = StrictCharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class PageEditsSerializer(_ClosedSerializer):
    """What the local renderer changes on a slide (it follows no free text)."""

    title = StrictCharField(max_length=MAX_TEXT, required=False)
    subtitle = StrictCharField(
        max_length=MAX_TEXT,
        required=False,
        allow_blank=True,
        help_text="Cover, ending and section pages only.",
    )
    items = PageEditItemSerializer(
        many=True,
        required=False,
        min_length=1,
        max_length=MAX_ITEMS,
        help_text="The page's items, replacing them (content and contents pages).",
    )
    layout = serializers.ChoiceField(
        choices=CONTENT_LAYOUTS,
        required=False,
        help_text="Content pages only.",
        error_messages={
            "invalid_choice": f'"{{input}}" is not a layout: one of {", ".join(CONTENT_LAYOUTS)}'
        },
    )
    text_scale = serializers.FloatField(
        required=False,
        min_value=TEXT_SCALE[0],
        max_value=TEXT_SCALE[1],
        help_text="Every text size times this.",
    )
    emphasis = StrictIntegerField(
        required=False,
        min_value=0,
        help_text="Index (from 0) of the item drawn in the accent colours (content pages).",
    )


class PageRegenerateSerializer(serializers.Serializer):
    instruction = StrictCharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="What to change, for an image model (gemini, openai, kie): for the step the run "
        "starts from and for the image. A page drawn by the local renderer answers 400: send "
        "edits.",
    )
    from_step = serializers.ChoiceField(choices=PAGE_STEPS, default="describe")
    mode = serializers.ChoiceField(
        choices=MODES,
        required=False,
        help_text="Image models: refine edits the page's image as instructed, redraw (the "
        "default) draws a new one with the instruction added to the prompt.",
    )
    edits = PageEditsSerializer(
        required=False,
        help_text="The local renderer: any of title, subtitle, items, layout, text_scale, "
        "emphasis. 400 for a page drawn by an image model.",
    )

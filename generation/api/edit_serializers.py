"""Input shapes of page edits: a page's plan changed, a page added, the pages reordered.
The services check the values (what a page's kind lets change, that the text fits)."""

from rest_framework import serializers

from config.fields import StrictCharField, StrictIntegerField
from generation.planning.plan_changes import MAX_ITEM_TEXT, MAX_ITEMS, MAX_TITLE
from generation.services.page_edits import LAYOUT_CHOICES


class PlanItemSerializer(serializers.Serializer):
    title = StrictCharField(max_length=MAX_ITEM_TEXT, required=False, allow_blank=True, default="")
    text = StrictCharField(max_length=MAX_ITEM_TEXT, required=False, allow_blank=True, default="")
    children = serializers.ListField(
        child=StrictCharField(max_length=MAX_ITEM_TEXT),
        required=False,
        default=list,
        max_length=MAX_ITEMS,
        help_text="Sub-points, drawn under the item.",
    )


class PlanChangesSerializer(serializers.Serializer):
    """What a page shows. Content pages change any of these; cover pages title and subtitle;
    transition and contents pages their title (their number and list follow the deck)."""

    title = StrictCharField(max_length=MAX_TITLE, required=False)
    subtitle = StrictCharField(max_length=MAX_TITLE, required=False, allow_blank=True)
    items = PlanItemSerializer(
        many=True, required=False, max_length=MAX_ITEMS, help_text="Each needs a title or text."
    )
    layout = serializers.ChoiceField(
        choices=LAYOUT_CHOICES,
        required=False,
        help_text="The local renderer's layout for a content page; auto: chosen by its content.",
    )


class NewPagePlanSerializer(PlanChangesSerializer):
    title = StrictCharField(max_length=MAX_TITLE)


class PageEditSerializer(serializers.Serializer):
    plan = PlanChangesSerializer(
        help_text="Only what changes. Text changes run the page again from describe, a layout "
        "change from render."
    )


class PageInsertSerializer(serializers.Serializer):
    index = StrictIntegerField(
        min_value=1, help_text="Where the page goes: 1 is first, one past the last page appends."
    )
    plan = NewPagePlanSerializer(help_text="A content page's plan; title required.")


class PagesReorderSerializer(serializers.Serializer):
    pages = serializers.ListField(
        child=StrictIntegerField(min_value=1),
        allow_empty=False,
        help_text="Every page id of the batch, once each, in the new order.",
    )

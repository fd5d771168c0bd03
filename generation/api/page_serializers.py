"""A page over HTTP: its detail with every step attempt, its versions, flagging it."""

from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from config.fields import StrictCharField
from generation.api.regenerate_serializers import PageEditsSerializer
from generation.api.serializers import PageSummarySerializer
from generation.models import Step, StepRun
from generation.services.page_actions import FLAGGABLE_STEPS


class StepRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = StepRun
        fields = [
            "id",
            "step",
            "attempt",
            "score",
            "threshold",
            "passed",
            "selected",
            "params",
            "adjustments",
            "metrics",
            "hints",
            "provider",
            "model",
            "latency_ms",
            "call_ms",
            "cost_usd",
            "hedge_after_ms",
            "hedged",
            "hedge_won",
            "hedge_cost_usd",
            "cache_hit",
            "error_kind",
            "error_message",
            "output_text",
            "output_image",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class PageDetailSerializer(PageSummarySerializer):
    batch_url = serializers.HyperlinkedRelatedField(
        source="batch", view_name="api:batch-detail", read_only=True
    )
    step_runs = StepRunSerializer(many=True, read_only=True)
    resume_step = serializers.ChoiceField(
        choices=Step.choices,
        allow_blank=True,
        read_only=True,
        help_text="The step a worker (re)starts from; empty once the page is done.",
    )

    class Meta(PageSummarySerializer.Meta):
        fields = [
            *PageSummarySerializer.Meta.fields,
            "batch",
            "batch_url",
            "plan",
            "description",
            "image_prompt",
            "resume_step",
            "instruction",
            "started_at",
            "finished_at",
            "step_runs",
        ]
        read_only_fields = fields


class PageVersionSerializer(serializers.ModelSerializer):
    """One image the page's render step made; `select` makes it the page's image again."""

    image = serializers.ImageField(source="output_image", read_only=True)
    thumbnail = serializers.SerializerMethodField(
        help_text="The thumbnail made when this was the page's image; null if it never was."
    )
    instruction = serializers.SerializerMethodField(
        help_text="The instruction this attempt followed, if someone asked for one."
    )
    edits = serializers.SerializerMethodField(
        help_text="The edits this attempt drew (local renderer), if someone asked for them."
    )
    created_at = serializers.DateTimeField(source="started_at", read_only=True)
    select_url = serializers.SerializerMethodField()

    class Meta:
        model = StepRun
        fields = [
            "id",
            "attempt",
            "image",
            "thumbnail",
            "score",
            "passed",
            "selected",
            "provider",
            "model",
            "requested_by",
            "instruction",
            "edits",
            "created_at",
            "select_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail(self, run: StepRun) -> str | None:
        if not run.thumbnail_name:
            return None
        url = default_storage.url(run.thumbnail_name)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_instruction(self, run: StepRun) -> str:
        return run.params.get("instruction", "")

    @extend_schema_field(PageEditsSerializer(allow_null=True))
    def get_edits(self, run: StepRun) -> dict | None:
        return run.params.get("edits")

    def get_select_url(self, run: StepRun) -> str:
        return reverse(
            "api:page-version-select",
            args=[run.page_id, run.pk],
            request=self.context.get("request"),
        )


class PageFlagSerializer(serializers.Serializer):
    reason = StrictCharField(
        max_length=300, help_text="What is wrong with the page, for the evaluators."
    )
    step = serializers.ChoiceField(
        choices=FLAGGABLE_STEPS,
        default="render",
        help_text="Whose output to review: the description or the image (render, the default).",
    )

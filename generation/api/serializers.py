"""The batch and page API's answers: a batch with its links and images, its pages in brief,
its detail with progress and credits. What clients send is in batch_input_serializers; the
progress, provider health and outline draft shapes have modules of their own."""

from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from generation.api.batch_input_serializers import OptionsField
from generation.api.progress_serializers import ProgressSerializer
from generation.credit_selectors import credits_of
from generation.exports import FORMATS
from generation.models import Batch, Page, Step
from generation.services.batch_images import ROLES


class BatchLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    progress = serializers.URLField()
    cancel = serializers.URLField()
    retry_failed = serializers.URLField()
    export = serializers.DictField(child=serializers.URLField(), help_text="One URL per format.")


class BatchImageSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLES, help_text="logo or photo.")
    url = serializers.URLField(help_text="Signed link to the stored (checked, downscaled) copy.")


class BatchSerializer(serializers.ModelSerializer):
    template = serializers.CharField(source="template_snapshot.slug", read_only=True)
    options = OptionsField(read_only=True)
    reference_images = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Batch
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "template",
            "options",
            "reference_images",
            "total_pages",
            "completed_pages",
            "failed_pages",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "links",
        ]
        read_only_fields = fields

    @extend_schema_field(BatchImageSerializer(many=True))
    def get_reference_images(self, batch: Batch) -> list[dict]:
        """The batch's own images, uploaded with it (see BatchCreateSerializer)."""
        request = self.context.get("request")
        images = []
        for image in batch.reference_images:
            url = default_storage.url(image["path"])
            url = request.build_absolute_uri(url) if request else url
            images.append({"role": image["role"], "url": url})
        return images

    @extend_schema_field(BatchLinksSerializer)
    def get_links(self, batch: Batch) -> dict:
        request = self.context["request"]

        def url(name: str) -> str:
            return reverse(f"api:batch-{name}", kwargs={"pk": batch.pk}, request=request)

        export = url("export")
        return {
            "self": url("detail"),
            "progress": url("progress"),
            "cancel": url("cancel"),
            "retry_failed": url("retry-failed"),
            "export": {fmt: f"{export}?format={fmt}" for fmt in FORMATS},
        }


class PageSummarySerializer(serializers.ModelSerializer):
    """A page within its batch; `attempts` and `score` come from annotations on the queryset."""

    url = serializers.HyperlinkedIdentityField(view_name="api:page-detail")
    current_step = serializers.ChoiceField(
        choices=Step.choices, allow_blank=True, read_only=True, help_text="Empty before any step."
    )
    attempts = serializers.IntegerField(read_only=True, help_text="Render attempts.")
    score = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Auto score (0-10) of the selected render."
    )

    class Meta:
        model = Page
        fields = [
            "id",
            "url",
            "index",
            "kind",
            "title",
            "status",
            "current_step",
            "attempts",
            "score",
            "flagged",
            "flag_reason",
            "error",
            "image",
            "thumbnail",
        ]
        read_only_fields = fields


class CreditsSerializer(serializers.Serializer):
    spent = serializers.IntegerField(help_text="Credits captured for finished work.")
    held = serializers.IntegerField(help_text="Credits reserved and not yet captured or released.")


class BatchDetailSerializer(BatchSerializer):
    progress = serializers.SerializerMethodField()
    credits = serializers.SerializerMethodField()
    pages = PageSummarySerializer(source="pages_with_render_stats", many=True, read_only=True)

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "outline", "progress", "credits", "pages"]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, batch: Batch) -> dict:
        return self.context["progress"]

    @extend_schema_field(CreditsSerializer)
    def get_credits(self, batch: Batch) -> dict[str, int]:
        return credits_of(batch)


class RetryFailedSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField()
    retried = serializers.IntegerField(help_text="Failed pages queued again.")

"""Input and output shapes of the batch and page API; validation of values is the services' job."""

import json

from django.conf import settings
from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.reverse import reverse
from rest_framework.utils import html

from config.fields import StrictCharField
from generation.credit_selectors import credits_of
from generation.exports import FORMATS
from generation.models import Batch, BatchStatus, Page, Step
from generation.options import DELIVERIES, LANGUAGES, MAX_BUDGET_USD, PAUSES, QUALITIES, SIZES
from generation.services.batch_images import MAX_PHOTOS, ROLES
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


class BatchLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    progress = serializers.URLField()
    cancel = serializers.URLField()
    retry_failed = serializers.URLField()
    export = serializers.DictField(child=serializers.URLField(), help_text="One URL per format.")


class StepCountSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    running = serializers.IntegerField()


class ProviderJobSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="batches/… (empty: requests not sent yet).")
    state = serializers.CharField(
        help_text="BATCH_STATE_PENDING, _RUNNING, _SUCCEEDED, _FAILED, _CANCELLED, _EXPIRED, "
        "or gathering."
    )
    requests = serializers.IntegerField(help_text="Render requests in the job.")


class HedgesSerializer(serializers.Serializer):
    calls = serializers.IntegerField(help_text="Render attempts that sent a duplicate call.")
    won = serializers.IntegerField(help_text="Of those, the duplicate answered first.")
    cost_usd = serializers.FloatField(help_text="The duplicates' price (USD), in cost_usd.")


class ProgressSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=BatchStatus.choices)
    total = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    running = serializers.IntegerField()
    held = serializers.IntegerField()
    waiting_for_provider = serializers.IntegerField(
        help_text="Pending pages waiting for a provider: its circuit breaker to close, or an "
        "asynchronous answer (kie, a Gemini Batch API job: see provider_jobs)."
    )
    pending = serializers.IntegerField()
    percentage = serializers.FloatField()
    eta_seconds = serializers.FloatField(allow_null=True)
    cost_usd = serializers.FloatField(help_text="Estimated spend so far (USD).")
    budget_usd = serializers.FloatField(allow_null=True, help_text="The batch's budget, if any.")
    steps = serializers.DictField(child=StepCountSerializer(), help_text="Per page step.")
    provider_jobs = ProviderJobSerializer(
        many=True,
        required=False,
        help_text="Only with delivery batch: the Gemini Batch API jobs the pages wait for.",
    )
    hedges = HedgesSerializer(required=False, help_text="Only with hedge on: duplicate calls.")


class BatchProgressSerializer(ProgressSerializer):
    batch_id = serializers.UUIDField()


class RetryFailedSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField()
    retried = serializers.IntegerField(help_text="Failed pages queued again.")


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


class ProviderHealthSerializer(serializers.Serializer):
    name = serializers.CharField()
    configured = serializers.BooleanField(help_text="False for a remote provider without a key.")
    usable = serializers.BooleanField(
        help_text="False when it has no key or its configured model is shut down or unknown."
    )
    hint = serializers.CharField(
        allow_null=True,
        help_text="What to set to offer it ('set GEMINI_API_KEY'), why its configured model "
        "cannot be used and what replaces it, or an announced shutdown of that model.",
    )
    models = serializers.ListField(
        child=serializers.CharField(), help_text="Image models offered; the default first."
    )
    concurrency_limit = serializers.IntegerField(help_text="Calls in flight, across all workers.")
    requests_per_minute = serializers.IntegerField(allow_null=True, help_text="Null: no limit.")
    circuit = serializers.ChoiceField(choices=["closed", "open", "half_open"])
    open_until = serializers.DateTimeField(
        allow_null=True, help_text="When an open circuit lets a probe call through."
    )
    calls = serializers.IntegerField(help_text="Finished calls in the window, cache hits excluded.")
    success_rate = serializers.FloatField(
        allow_null=True, help_text="Share (0-1) of calls without an error; null without calls."
    )
    latency_ms_p50 = serializers.IntegerField(allow_null=True)
    latency_ms_p95 = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(
        child=serializers.IntegerField(), help_text="Calls per error kind."
    )
    cost_usd = serializers.FloatField(help_text="Estimated spend in the window (USD).")


class ProvidersSerializer(serializers.Serializer):
    providers = ProviderHealthSerializer(many=True, help_text="Figures over the last hour.")


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

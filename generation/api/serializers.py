"""Input and output shapes of the batch and page API; validation of values is the services' job."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from config.fields import StrictCharField
from generation.exports import FORMATS
from generation.models import PAGE_STEPS, Batch, BatchStatus, Page, Step, StepRun
from generation.options import DELIVERIES, LANGUAGES, MAX_BUDGET_USD, QUALITIES, SIZES
from generation.services.page_actions import FLAGGABLE_STEPS
from templates_app.models import SlideTemplate


class BatchOptionsSerializer(serializers.Serializer):
    """The documented shape of `options`, its choices from generation.options; batch_create
    validates the values (BatchOptions.parse). An empty string or null means the default."""

    size = serializers.ChoiceField(
        choices=SIZES, required=False, allow_blank=True, help_text="The slide size."
    )
    language = serializers.ChoiceField(choices=LANGUAGES, required=False, allow_blank=True)
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
    delivery = serializers.ChoiceField(
        choices=DELIVERIES,
        required=False,
        allow_blank=True,
        help_text="interactive (default), or batch: the render calls go to Gemini's Batch API "
        "at half the price and the pages wait for its jobs (provider gemini only).",
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
    """Passed to batch_create as given, so an unknown option is refused by name there."""


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


class BatchSerializer(serializers.ModelSerializer):
    template = serializers.CharField(source="template_snapshot.slug", read_only=True)
    options = OptionsField(read_only=True)
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


class BatchDetailSerializer(BatchSerializer):
    progress = serializers.SerializerMethodField()
    pages = PageSummarySerializer(source="pages_with_render_stats", many=True, read_only=True)

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "outline", "progress", "pages"]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, batch: Batch) -> dict:
        return self.context["progress"]


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


class PageRegenerateSerializer(serializers.Serializer):
    instruction = StrictCharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="What to change, for the step the run starts from.",
    )
    from_step = serializers.ChoiceField(choices=PAGE_STEPS, default="describe")


class PageFlagSerializer(serializers.Serializer):
    reason = StrictCharField(
        max_length=300, help_text="What is wrong with the page, for the evaluators."
    )
    step = serializers.ChoiceField(
        choices=FLAGGABLE_STEPS,
        default="render",
        help_text="Whose output to review: the description or the image (render, the default).",
    )


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

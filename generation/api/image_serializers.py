"""Input and output shapes of uploads and single images; the services check the values."""

from __future__ import annotations

from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from config.fields import StrictCharField
from generation.api.batch_input_serializers import TemplateSlugField
from generation.api.serializers import CreditsSerializer
from generation.credit_selectors import credits_of
from generation.models import Batch, BatchStatus, Page, Upload
from generation.options import QUALITIES
from generation.providers.base import IMAGE_SIZES
from generation.services.batch_images import MAX_PHOTOS
from generation.services.images import ASPECT_RATIOS, MAX_PROMPT_CHARS, MODES
from generation.services.uploads import MAX_FILES_PER_REQUEST
from templates_app.models import SlideTemplate


class UploadCreateSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        allow_empty=True,
        help_text=f"Multipart: one to {MAX_FILES_PER_REQUEST} PNG, JPEG or WebP pictures "
        "(UPLOAD_MAX_BYTES, UPLOAD_MAX_PIXELS).",
    )


class UploadSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Signed, expiring link to the stored copy.")

    class Meta:
        model = Upload
        fields = ["id", "url", "format", "width", "height", "sha256", "created_at", "used_at"]
        read_only_fields = fields

    def get_url(self, upload: Upload) -> str:
        return self.context["request"].build_absolute_uri(upload.file.url)


class UploadsSerializer(serializers.Serializer):
    uploads = UploadSerializer(many=True)


class ImageCreateSerializer(serializers.Serializer):
    prompt = StrictCharField(
        trim_whitespace=False,
        allow_blank=True,
        help_text=f"What to draw (Chinese or English), at most {MAX_PROMPT_CHARS} characters.",
    )
    mode = serializers.ChoiceField(
        choices=MODES,
        default="text",
        help_text="text: from the prompt; image: from your uploads (references) and the prompt.",
    )
    aspect_ratio = StrictCharField(
        required=False,
        default="",
        allow_blank=True,
        help_text=f"One of {', '.join(ASPECT_RATIOS)} (default 1:1); a Gemini model may offer "
        "more, or fewer.",
    )
    size = serializers.ChoiceField(
        choices=IMAGE_SIZES,
        required=False,
        allow_blank=True,
        default="",
        help_text="1K (default; 2K for quality hd), 2K or 4K, as the model offers.",
    )
    quality = serializers.ChoiceField(
        choices=QUALITIES, required=False, allow_blank=True, default=""
    )
    provider = StrictCharField(
        required=False, default="", allow_blank=True, help_text="Image provider, e.g. local."
    )
    model = StrictCharField(
        required=False, default="", allow_blank=True, help_text="Image model of that provider."
    )
    template = TemplateSlugField(
        slug_field="slug",
        queryset=SlideTemplate.objects.active(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Slug of an active template whose style to use (default: the first).",
    )
    references = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        default=list,
        max_length=MAX_PHOTOS,
        help_text=f"Mode image: ids of up to {MAX_PHOTOS} of your uploads.",
    )


class ImageFilterSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=MODES, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=BatchStatus.choices, required=False, allow_blank=True)
    q = serializers.CharField(required=False, allow_blank=True, help_text="Words of the prompt.")


class ImageLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    progress = serializers.URLField()
    batch = serializers.URLField()


class ImageSerializer(serializers.ModelSerializer):
    """A single image: a batch of kind image; its one page holds the result."""

    prompt = serializers.CharField(source="outline")
    mode = serializers.SerializerMethodField()
    aspect_ratio = serializers.SerializerMethodField()
    size = serializers.SerializerMethodField()
    width = serializers.SerializerMethodField()
    height = serializers.SerializerMethodField()
    quality = serializers.SerializerMethodField()
    provider = serializers.SerializerMethodField()
    model = serializers.SerializerMethodField()
    template = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()
    references = serializers.SerializerMethodField()
    cost_usd = serializers.FloatField(source="counters.cost_usd", read_only=True)
    credits = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Batch
        fields = [
            "id",
            "prompt",
            "mode",
            "status",
            "aspect_ratio",
            "size",
            "width",
            "height",
            "quality",
            "provider",
            "model",
            "template",
            "image",
            "thumbnail",
            "references",
            "cost_usd",
            "credits",
            "error",
            "created_at",
            "finished_at",
            "links",
        ]
        read_only_fields = fields

    @extend_schema_field(CreditsSerializer)
    def get_credits(self, batch: Batch) -> dict[str, int]:
        """What the image cost in credits: spent (captured) and held (reserved, not settled)."""
        return credits_of(batch)

    @staticmethod
    def _page(batch: Batch) -> Page | None:
        pages = batch.pages.all()  # prefetched by the view
        return pages[0] if pages else None

    def _plan(self, batch: Batch) -> dict:
        page = self._page(batch)
        return page.plan if page else {}

    def _url(self, field: object) -> str | None:
        if not field:
            return None
        return self.context["request"].build_absolute_uri(field.url)

    @extend_schema_field(serializers.ChoiceField(choices=MODES))
    def get_mode(self, batch: Batch) -> str:
        return self._plan(batch).get("mode", "text")

    def get_aspect_ratio(self, batch: Batch) -> str:
        return self._plan(batch).get("aspect_ratio", "")

    def get_size(self, batch: Batch) -> str:
        return self._plan(batch).get("image_size", "")

    def get_width(self, batch: Batch) -> int:
        return batch.size[0]

    def get_height(self, batch: Batch) -> int:
        return batch.size[1]

    def get_quality(self, batch: Batch) -> str:
        return batch.opts.quality

    def get_provider(self, batch: Batch) -> str:
        return batch.opts.provider

    def get_model(self, batch: Batch) -> str:
        """The model that drew the image (once drawn), else the one asked for ("" = default)."""
        runs = getattr(self._page(batch), "selected_renders", None) or []
        return runs[0].model if runs else batch.opts.model

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_template(self, batch: Batch) -> str | None:
        return batch.template_snapshot.get("slug")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image(self, batch: Batch) -> str | None:
        page = self._page(batch)
        return self._url(page.image if page else None)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail(self, batch: Batch) -> str | None:
        page = self._page(batch)
        return self._url(page.thumbnail if page else None)

    @extend_schema_field(serializers.ListField(child=serializers.URLField()))
    def get_references(self, batch: Batch) -> list[str]:
        """Signed links to the copies of the uploads the image was drawn from."""
        request = self.context["request"]
        return [
            request.build_absolute_uri(default_storage.url(ref["path"]))
            for ref in batch.reference_images
        ]

    @extend_schema_field(ImageLinksSerializer)
    def get_links(self, batch: Batch) -> dict:
        request = self.context["request"]
        return {
            "self": reverse("api:image-detail", kwargs={"pk": batch.pk}, request=request),
            "progress": reverse("api:batch-progress", kwargs={"pk": batch.pk}, request=request),
            "batch": reverse("api:batch-detail", kwargs={"pk": batch.pk}, request=request),
        }

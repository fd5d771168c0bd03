"""Slide templates over HTTP: active ones for every signed-in user; staff see and change all.

Creating or replacing a template sends its reference image, so POST and PUT take multipart
only; PATCH takes JSON too (a change without a new image)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import File
from django.db import models
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.parsers import BaseParser
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from config.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictJSONField,
    StrictSlugField,
)
from config.parsers import JSONParser, MultiPartParser
from templates_app.models import SlideTemplate, validate_fonts, validate_palette, validate_tags
from templates_app.services import reference_image_check, reference_image_prepare


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
        "minItems": 2,
        "maxItems": 8,
    }
)
class PaletteField(StrictJSONField):
    """Colours '#rrggbb': background, primary, accent, text, muted, extras."""


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
class FontsField(StrictJSONField):
    """Font names by role, e.g. {"title": "...", "body": "..."}."""


@extend_schema_field({"type": "array", "items": {"type": "string", "minLength": 1}})
class TagsField(StrictJSONField):
    """Non-empty tags."""


class ReferenceImageField(serializers.ImageField):
    """An upload checked against the caps from its header before Pillow verifies it, and
    stored downscaled (templates_app.services)."""

    def to_internal_value(self, data: object) -> File:
        if isinstance(data, File):
            try:
                reference_image_check(file=data, size=data.size)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from None
        return reference_image_prepare(file=super().to_internal_value(data))


class SlideTemplateSerializer(serializers.ModelSerializer):
    reference_image = ReferenceImageField(
        help_text="Main reference image, sent first to image models. Signed link on output."
    )
    palette = PaletteField(validators=[validate_palette])
    fonts = FontsField(required=False, validators=[validate_fonts])
    recommended_for = TagsField(required=False, validators=[validate_tags])

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.BooleanField: StrictBooleanField,
        models.PositiveIntegerField: StrictIntegerField,
    }

    class Meta:
        model = SlideTemplate
        fields = [
            "slug",
            "name",
            "description",
            "style",
            "palette",
            "fonts",
            "prompt_hints",
            "recommended_for",
            "reference_image",
            "is_active",
            "order",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class StaffWritesOnly(BasePermission):
    message = "Only staff can change templates."
    writes_only = True  # every signed-in user reads (config.schema documents 403 for writes)

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or request.user.is_staff


class SlideTemplateFormSerializer(SlideTemplateSerializer):
    """A template write as a multipart form, for the schema: JSON fields travel as JSON text."""

    palette = serializers.CharField(help_text='JSON text: 2-8 colours, ["#0b1020", "#e0e6f0"].')
    fonts = serializers.CharField(required=False, help_text='JSON text: {"title": "Noto Sans"}.')
    recommended_for = serializers.CharField(required=False, help_text='JSON text: ["keynote"].')


FORM = {"multipart/form-data": SlideTemplateFormSerializer}


@extend_schema_view(
    create=extend_schema(request=FORM),
    update=extend_schema(request=FORM),
    partial_update=extend_schema(
        request={"application/json": SlideTemplateSerializer, **FORM},
    ),
)
class SlideTemplateViewSet(viewsets.ModelViewSet):
    """Plain CRUD: writes take multipart (with the reference image); PATCH takes JSON too."""

    queryset = SlideTemplate.objects.all()
    serializer_class = SlideTemplateSerializer
    lookup_field = "slug"
    permission_classes = [IsAuthenticated, StaffWritesOnly]

    def get_parsers(self) -> list[BaseParser]:
        request = getattr(self, "request", None)
        if request is not None and request.method == "PATCH":
            return [JSONParser(), MultiPartParser()]
        return [MultiPartParser()]

    def get_queryset(self) -> QuerySet[SlideTemplate]:
        templates = super().get_queryset()
        return templates if self.request.user.is_staff else templates.active()

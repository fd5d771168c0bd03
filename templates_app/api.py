"""Slide templates over HTTP: active ones for every signed-in user; staff see and change all."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import File
from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from templates_app.models import SlideTemplate
from templates_app.services import reference_image_check, reference_image_prepare


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

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or request.user.is_staff


class SlideTemplateViewSet(viewsets.ModelViewSet):
    """Plain CRUD: writes take JSON, or multipart when they carry a reference image."""

    queryset = SlideTemplate.objects.all()
    serializer_class = SlideTemplateSerializer
    lookup_field = "slug"
    permission_classes = [IsAuthenticated, StaffWritesOnly]
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[SlideTemplate]:
        templates = super().get_queryset()
        return templates if self.request.user.is_staff else templates.active()

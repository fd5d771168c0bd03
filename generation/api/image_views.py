"""Uploads and single images over HTTP: parse, call one service, serialize. Users see only
their own (staff included: a gallery is personal)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from config.api import BatchCreateThrottle, UploadThrottle, error_responses
from config.parsers import JSONParser, MultiPartParser
from generation.api.idempotency import IDEMPOTENCY_PARAMETER, served_once
from generation.api.image_serializers import (
    ImageCreateSerializer,
    ImageFilterSerializer,
    ImageSerializer,
    UploadCreateSerializer,
    UploadSerializer,
    UploadsSerializer,
)
from generation.credit_selectors import with_credits
from generation.models import Batch, Page, Step, StepRun, Upload
from generation.services.images import image_create
from generation.services.retention import batch_delete
from generation.services.uploads import upload_delete, uploads_create


class UploadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = UploadSerializer

    def get_queryset(self) -> QuerySet[Upload]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Upload.objects.none()
        return Upload.objects.filter(owner=self.request.user)

    def get_parsers(self) -> list[BaseParser]:
        if getattr(self, "action_map", {}).get("post") == "create":
            return [MultiPartParser()]
        return super().get_parsers()

    def get_throttles(self) -> list[BaseThrottle]:
        if self.action == "create":
            return [UploadThrottle()]
        return super().get_throttles()

    @extend_schema(
        request={"multipart/form-data": UploadCreateSerializer},
        responses={201: UploadsSerializer, **error_responses(400, 429)},
    )
    def create(self, request: Request) -> Response:
        """Upload pictures (`files`, one or more): checked by decoding, re-encoded without
        metadata, kept privately; unused ones expire after UPLOAD_TTL_HOURS."""
        files = request.FILES.getlist("files")
        uploads = uploads_create(owner=request.user, files=files)
        body = UploadsSerializer({"uploads": uploads}, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, **error_responses(404)})
    def destroy(self, request: Request, pk: str) -> Response:
        upload_delete(upload=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ImageViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ImageSerializer

    def get_queryset(self) -> QuerySet[Batch]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Batch.objects.none()
        renders = StepRun.objects.selected().filter(step=Step.RENDER).only("page", "model")
        pages = Page.objects.prefetch_related(
            Prefetch("step_runs", queryset=renders, to_attr="selected_renders")
        )
        return (
            with_credits(Batch.objects.filter(owner=self.request.user, kind="image"))
            .select_related("counters")
            .prefetch_related(Prefetch("pages", queryset=pages))
            .order_by("-created_at")
        )

    def get_throttles(self) -> list[BaseThrottle]:
        if self.action == "create":
            return [BatchCreateThrottle()]
        return super().get_throttles()

    @extend_schema(parameters=[ImageFilterSerializer], responses=ImageSerializer(many=True))
    def list(self, request: Request) -> Response:
        """My images, newest first; `?mode=`, `?status=`, `?q=` (words of the prompt)."""
        query = ImageFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        images = self.get_queryset()
        wanted = query.validated_data
        if wanted.get("mode"):
            images = images.filter(pages__index=0, pages__plan__mode=wanted["mode"])
        if wanted.get("status"):
            images = images.filter(status=wanted["status"])
        for word in (wanted.get("q") or "").split():
            images = images.filter(outline__icontains=word)
        page = self.paginate_queryset(images)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_parsers(self) -> list[BaseParser]:
        return [JSONParser()]

    @extend_schema(
        request=ImageCreateSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: ImageSerializer, **error_responses(400, 402, 409, 429, 503)},
    )
    def create(self, request: Request) -> Response:
        """Draw one image from a prompt (mode text) or from your uploads (mode image); a
        worker draws it (202), poll the image or its progress link. It reserves the image's
        credits (402 when they are short: nothing is stored); a retry with the same
        Idempotency-Key gets the first answer."""
        return served_once(request, scope="image-create", run=lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        incoming = ImageCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        batch = image_create(owner=request.user, payer=request.user, **incoming.validated_data)
        body = self.get_serializer(self.get_queryset().get(pk=batch.pk)).data
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["links"]["self"]}
        )

    @extend_schema(responses={204: None, **error_responses(404, 409)})
    def destroy(self, request: Request, pk: str) -> Response:
        """Delete a finished image with its files (409 while it is drawn: cancel it first)."""
        batch_delete(batch=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Batches, pages and providers over HTTP: parse, call one service, serialize.
Users see only their own batches and pages."""

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from config.api import (
    BatchCreateThrottle,
    OutlineDraftThrottle,
    RegenerateThrottle,
    error_responses,
)
from config.parsers import JSONParser, MultiPartParser
from generation.api.batch_input_serializers import (
    BatchCreateSerializer,
    BatchFilterSerializer,
    ExportQuerySerializer,
)
from generation.api.edit_serializers import (
    PageEditSerializer,
    PageInsertSerializer,
    PagesReorderSerializer,
)
from generation.api.idempotency import IDEMPOTENCY_PARAMETER, served_once
from generation.api.outline_serializers import OutlineDraftAnswerSerializer, OutlineDraftSerializer
from generation.api.page_serializers import (
    PageDetailSerializer,
    PageFlagSerializer,
    PageVersionSerializer,
)
from generation.api.progress_serializers import BatchProgressSerializer
from generation.api.provider_serializers import ProvidersSerializer
from generation.api.regenerate_serializers import PageRegenerateSerializer
from generation.api.serializers import (
    BatchDetailSerializer,
    BatchSerializer,
    PageSummarySerializer,
    RetryFailedSerializer,
)
from generation.credit_selectors import with_credits
from generation.exports import CONTENT_TYPES, export_file
from generation.models import Batch, Page, StepRun
from generation.providers.health import provider_health
from generation.selectors import batch_progress, page_versions, with_render_stats
from generation.services.batches import (
    batch_approve,
    batch_cancel,
    batch_create,
    batch_retry_failed,
)
from generation.services.credit_charges import credits_for_reruns
from generation.services.outlines import outline_draft
from generation.services.page_actions import page_flag, page_regenerate, page_version_select
from generation.services.page_edits import page_delete, page_edit, page_insert, pages_reorder
from generation.services.retention import batch_delete

EXPORT_SUFFIXES = {"pptx": ".pptx", "pptx-editable": "-editable.pptx", "pdf": ".pdf", "zip": ".zip"}


class BatchViewSet(viewsets.GenericViewSet):
    queryset = Batch.objects.all()
    serializer_class = BatchSerializer

    def get_queryset(self) -> QuerySet[Batch]:
        batches = super().get_queryset()
        if not self.request.user.is_staff:
            batches = batches.filter(owner=self.request.user)
        if self.action == "list":
            batches = batches.defer("outline")
        if self.action in ("retrieve", "progress"):
            batches = batches.select_related("counters")  # batch_progress reads them
        if self.action == "progress":
            batches = batches.defer("outline", "template_snapshot")
        if self.action == "retrieve":
            batches = with_credits(batches)
            pages = with_render_stats(Page.objects.order_by("index"))
            # to_attr leaves batch.pages plain for batch_progress's own queries
            batches = batches.prefetch_related(
                Prefetch("pages", queryset=pages, to_attr="pages_with_render_stats")
            )
        return batches

    def get_throttles(self) -> list[BaseThrottle]:
        if self.action == "create":
            return [BatchCreateThrottle()]
        return super().get_throttles()

    @extend_schema(parameters=[BatchFilterSerializer], responses=BatchSerializer(many=True))
    def list(self, request: Request) -> Response:
        query = BatchFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        batches = self.get_queryset()
        if query.validated_data.get("status"):
            batches = batches.filter(status=query.validated_data["status"])
        page = self.paginate_queryset(batches)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_parsers(self) -> "list[BaseParser]":  # the class defines `list`
        """JSON everywhere; creating a batch also takes a multipart form (with its images)."""
        if getattr(self, "action_map", {}).get("post") == "create":
            return [JSONParser(), MultiPartParser()]
        return super().get_parsers()

    @extend_schema(
        request={
            "application/json": BatchCreateSerializer,
            "multipart/form-data": BatchCreateSerializer,
        },
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: BatchSerializer, **error_responses(400, 402, 409, 429, 503)},
    )
    def create(self, request: Request) -> Response:
        """Create a batch from JSON, or from a multipart form: `outline`, `template`,
        `options` (JSON text), `title`, and the batch's own images `logo` and
        `reference_images` (files). It reserves the credits the deck can cost (402 when
        they are short: nothing is stored); a retry with the same Idempotency-Key gets the
        first answer."""
        return served_once(request, scope="batch-create", run=lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        incoming = BatchCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        user = request.user
        batch = batch_create(owner=user, payer=user, enqueue=True, **incoming.validated_data)
        body = self.get_serializer(batch).data
        return Response(
            body, status=status.HTTP_201_CREATED, headers={"Location": body["links"]["self"]}
        )

    @extend_schema(responses={200: BatchDetailSerializer, **error_responses(404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        batch = self.get_object()
        context = {**self.get_serializer_context(), "progress": batch_progress(batch=batch)}
        return Response(BatchDetailSerializer(batch, context=context).data)

    @extend_schema(responses={204: None, **error_responses(404, 409)})
    def destroy(self, request: Request, pk: str) -> Response:
        """Delete a finished batch with its pages and files (409 while it runs: cancel first)."""
        batch_delete(batch=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: BatchProgressSerializer, **error_responses(404)})
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, pk: str) -> Response:
        batch = self.get_object()
        progress = {"batch_id": batch.pk, **batch_progress(batch=batch)}
        return Response(BatchProgressSerializer(progress).data)

    @extend_schema(request=None, responses={200: BatchSerializer, **error_responses(404, 409)})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        batch = batch_cancel(batch=self.get_object())
        return Response(self.get_serializer(batch).data)

    @extend_schema(request=None, responses={202: BatchSerializer, **error_responses(404, 409, 503)})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approve the plan of a batch that paused after planning (options.pause_after "plan"):
        its pages go to the workers (202). 409 for a batch that is not awaiting approval."""
        batch = batch_approve(batch=self.get_object())
        return Response(self.get_serializer(batch).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None, responses={202: RetryFailedSerializer, **error_responses(402, 404, 409)}
    )
    @action(detail=True, methods=["post"], url_path="retry-failed")
    def retry_failed(self, request: Request, pk: str) -> Response:
        batch = self.get_object()
        with credits_for_reruns(batch=batch, payer=request.user):
            retried = batch_retry_failed(batch=batch)
        body = RetryFailedSerializer({"batch_id": batch.pk, "retried": retried}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=PageInsertSerializer,
        responses={201: PageDetailSerializer, **error_responses(400, 402, 404, 409, 429, 503)},
    )
    @action(detail=True, methods=["post"], url_path="pages", throttle_classes=[RegenerateThrottle])
    def add_page(self, request: Request, pk: str) -> Response:
        """Add a content page at an index; it is generated like the others (in a batch awaiting
        approval, once approved). 409 at the page limit or while the batch is not planned."""
        incoming = PageInsertSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        batch = self.get_object()
        with credits_for_reruns(batch=batch, payer=request.user):
            page = page_insert(batch=batch, **incoming.validated_data)
        body = PageDetailSerializer(
            with_render_stats(Page.objects.all()).get(pk=page.pk), context={"request": request}
        ).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})

    @extend_schema(
        request=PagesReorderSerializer,
        responses={
            200: PageSummarySerializer(many=True),
            **error_responses(400, 402, 404, 409, 503),
        },
    )
    @action(detail=True, methods=["post"])
    def reorder(self, request: Request, pk: str) -> Response:
        """Put the pages in a new order (every page id once); section numbers and the contents
        page follow, and exports use the new order."""
        incoming = PagesReorderSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        batch = self.get_object()
        with credits_for_reruns(batch=batch, payer=request.user):
            pages_reorder(batch=batch, page_ids=incoming.validated_data["pages"])
        pages = with_render_stats(batch.pages.order_by("index"))
        return Response(PageSummarySerializer(pages, many=True, context={"request": request}).data)

    @extend_schema(
        parameters=[ExportQuerySerializer],
        responses={
            **{
                (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="The deck.")
                for content_type in sorted(set(CONTENT_TYPES.values()))
            },
            **error_responses(400, 404),
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> FileResponse:
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        fmt = query.validated_data["format"]
        batch = self.get_object()
        name = slugify(batch.title, allow_unicode=True) or str(batch.pk)
        # Built page by page into a temporary file, streamed from there, removed when sent.
        return FileResponse(
            export_file(batch, fmt),
            as_attachment=True,
            filename=f"{name}{EXPORT_SUFFIXES[fmt]}",
            content_type=CONTENT_TYPES[fmt],
        )


@extend_schema_view(
    retrieve=extend_schema(responses={200: PageDetailSerializer, **error_responses(404)})
)
class PageViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Page.objects.all()
    serializer_class = PageDetailSerializer

    def get_queryset(self) -> QuerySet[Page]:
        step_runs = StepRun.objects.defer("output_data").order_by("started_at", "id")
        pages = with_render_stats(super().get_queryset()).prefetch_related(
            Prefetch("step_runs", queryset=step_runs)
        )
        if not self.request.user.is_staff:
            pages = pages.filter(batch__owner=self.request.user)
        return pages

    def get_throttles(self) -> list[BaseThrottle]:
        if self.action == "partial_update":  # an edit runs the page again, as regenerate does
            return [RegenerateThrottle()]
        return super().get_throttles()

    @extend_schema(
        request=PageRegenerateSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: PageDetailSerializer, **error_responses(400, 402, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"], throttle_classes=[RegenerateThrottle])
    def regenerate(self, request: Request, pk: str) -> Response:
        """Run the page again; it reserves a page's credits (402 when they are short). A retry
        with the same Idempotency-Key gets the first answer."""
        return served_once(
            request, scope=f"page-regenerate:{pk}", run=lambda: self._regenerate(request)
        )

    def _regenerate(self, request: Request) -> Response:
        page = self.get_object()
        incoming = PageRegenerateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with credits_for_reruns(batch=page.batch, payer=request.user):
            page_regenerate(page=page, source=f"user:{request.user.pk}", **incoming.validated_data)
        return Response(
            self.get_serializer(self.get_object()).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        request=PageEditSerializer,
        responses={200: PageDetailSerializer, **error_responses(400, 402, 404, 409, 429, 503)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change what the page shows (plan: title, subtitle, items, layout); it runs again
        from describe, from render when only the layout changed. 409 while it runs."""
        page = self.get_object()
        incoming = PageEditSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with credits_for_reruns(batch=page.batch, payer=request.user):
            page_edit(page=page, changes=incoming.validated_data["plan"])
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses={204: None, **error_responses(404, 409)})
    def destroy(self, request: Request, pk: str) -> Response:
        """Delete the page with its attempts and files; the pages after it move up."""
        page_delete(page=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: PageVersionSerializer(many=True), **error_responses(404)})
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: str) -> Response:
        """Every image the page's render step made, oldest first (failed attempts left out)."""
        versions = self.paginate_queryset(page_versions(page=self.get_object()))
        serializer = PageVersionSerializer(versions, many=True, context={"request": request})
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        request=None, responses={202: PageDetailSerializer, **error_responses(400, 404, 409)}
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"versions/(?P<run_id>[0-9]{1,18})/select",
        url_name="version-select",
    )
    def select_version(self, request: Request, pk: str, run_id: str) -> Response:
        """Make one of the page's images its image again; the finish step publishes it and
        exports follow (202: a worker does it, as for a regeneration)."""
        page = self.get_object()
        run = get_object_or_404(StepRun.objects.filter(page=page), pk=int(run_id))
        page_version_select(page=page, run=run)
        return Response(
            self.get_serializer(self.get_object()).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        request=PageFlagSerializer,
        responses={202: PageDetailSerializer, **error_responses(400, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def flag(self, request: Request, pk: str) -> Response:
        """Send the page's output of a step to human review, with what is wrong with it."""
        page = self.get_object()
        incoming = PageFlagSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        page_flag(page=page, **incoming.validated_data)
        return Response(
            self.get_serializer(self.get_object()).data, status=status.HTTP_202_ACCEPTED
        )


class OutlineDraftView(APIView):
    """A text model drafts a deck's outline from a brief; edit it, then create a batch."""

    throttle_classes = [OutlineDraftThrottle]

    @extend_schema(
        request=OutlineDraftSerializer,
        responses={200: OutlineDraftAnswerSerializer, **error_responses(400, 429, 502, 503)},
    )
    def post(self, request: Request) -> Response:
        incoming = OutlineDraftSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        outline = outline_draft(
            brief=data["brief"],
            language=data["language"],
            pages=data.get("pages"),
            provider=data["text_provider"],
        )
        return Response(OutlineDraftAnswerSerializer({"outline": outline}).data)


class ProviderHealthView(APIView):
    """Every image provider: limits, circuit breaker and the last hour's calls."""

    @extend_schema(responses=ProvidersSerializer)
    def get(self, request: Request) -> Response:
        return Response(ProvidersSerializer({"providers": provider_health()}).data)

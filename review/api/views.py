"""The review queue over HTTP, for evaluators: the next item, evaluations, skips, statistics
and calibration. Parse, call one service, serialize; errors take the API's one shape."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_responses
from review.api.serializers import (
    CalibrateResultSerializer,
    EvaluationSerializer,
    EvaluationSubmitSerializer,
    ReviewItemSerializer,
    StatsSerializer,
    StepFilterSerializer,
    StepQuerySerializer,
)
from review.calibration import agreement_report, calibration_outcome, calibration_report
from review.dashboard import runs_open_to, throughput_report
from review.models import ReviewItem
from review.permissions import is_evaluator
from review.presentation import item_body
from review.services import evaluation_submit, review_next, review_skip


class IsEvaluator(permissions.BasePermission):
    """Staff, or members of the evaluators group."""

    message = "Only evaluators (staff or the evaluators group) may review."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_evaluator(request.user)


def _step(request: Request, query_serializer: type[serializers.Serializer]) -> str | None:
    query = query_serializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("step") or None


class NextItemView(APIView):
    """Lease the caller the most urgent item they have not judged or skipped."""

    permission_classes = [IsEvaluator]

    @extend_schema(
        parameters=[StepFilterSerializer],
        responses={
            200: ReviewItemSerializer,
            204: OpenApiResponse(description="Nothing to review."),
            **error_responses(400),
        },
    )
    def get(self, request: Request) -> Response:
        item = review_next(evaluator=request.user, step=_step(request, StepFilterSerializer))
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        item = ReviewItem.objects.select_related("step_run__batch", "step_run__page").get(
            pk=item.pk
        )
        body = item_body(item, request.user, request.build_absolute_uri)
        return Response(ReviewItemSerializer(body).data)


class EvaluationCreateView(APIView):
    permission_classes = [IsEvaluator]

    @extend_schema(
        request=EvaluationSubmitSerializer,
        responses={201: EvaluationSerializer, **error_responses(400, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        item = get_object_or_404(ReviewItem.objects.select_related("step_run"), pk=pk)
        incoming = EvaluationSubmitSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        evaluation = evaluation_submit(item=item, evaluator=request.user, **incoming.validated_data)
        return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)


class SkipView(APIView):
    permission_classes = [IsEvaluator]

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Skipped."), **error_responses(404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        review_skip(item=get_object_or_404(ReviewItem, pk=pk), evaluator=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StatsView(APIView):
    """How well a step's threshold matches the evaluators, and how well they agree."""

    permission_classes = [IsEvaluator]

    @extend_schema(
        parameters=[StepQuerySerializer], responses={200: StatsSerializer, **error_responses(400)}
    )
    def get(self, request: Request) -> Response:
        step = _step(request, StepQuerySerializer)
        hidden = runs_open_to(viewer=request.user)  # blind: nothing the viewer may still judge
        body = {
            "calibration": calibration_report(step=step, hidden_runs=hidden),
            "agreement": agreement_report(step=step, hidden_runs=hidden),
            "throughput": throughput_report(step=step),
        }
        return Response(StatsSerializer(body).data)


class CalibrateView(APIView):
    """Apply the suggested threshold when the evidence is strong enough (staff only)."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        request=None,
        parameters=[StepQuerySerializer],
        responses={200: CalibrateResultSerializer, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        step = _step(request, StepQuerySerializer)
        change, report = calibration_outcome(step=step, author=request.user)
        body = {
            "changed": change is not None,
            "threshold_change": change,
            # After a change, the report as it stands now (at the new threshold).
            "report": report if change is None else calibration_report(step=step),
        }
        return Response(CalibrateResultSerializer(body).data)

"""Input and output shapes of the review API: queries, items, evaluations, statistics and
calibration. Validation of values beyond their shape is the services' job."""

from rest_framework import serializers

from config.fields import StrictCharField, StrictIntegerField
from generation.api.regenerate_serializers import PageEditsSerializer
from generation.models import Step
from review.models import (
    MAX_COMMENT_CHARS,
    MAX_INSTRUCTION_CHARS,
    MAX_SECONDS_SPENT,
    Criterion,
    Evaluation,
    ThresholdChange,
    Verdict,
)


class StepFilterSerializer(serializers.Serializer):
    step = serializers.ChoiceField(
        choices=Step.choices, required=False, allow_blank=True, help_text="Empty: any step."
    )


class StepQuerySerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=Step.choices)


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["key", "label", "description", "weight"]
        read_only_fields = fields


class AutoSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    threshold = serializers.FloatField()
    metrics = serializers.DictField()
    hints = serializers.ListField()


class ReviewItemSerializer(serializers.Serializer):
    """What an evaluator needs to judge one step output, blind to other evaluators."""

    id = serializers.IntegerField()
    step = serializers.CharField()
    reason = serializers.CharField()
    lease_expires_at = serializers.DateTimeField(allow_null=True)
    input = serializers.DictField(help_text="What the step was given.")
    output = serializers.DictField(help_text="What the step produced.")
    auto = AutoSerializer()
    criteria = CriterionSerializer(many=True)


class EvaluationSubmitSerializer(serializers.Serializer):
    scores = serializers.DictField(
        child=StrictIntegerField(min_value=1, max_value=10),
        help_text="One 1-10 per active criterion key.",
    )
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    instruction = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_INSTRUCTION_CHARS,
        help_text="What to change, for regenerate on a page drawn by an image model.",
    )
    edits = PageEditsSerializer(
        required=False,
        help_text="What to change, for regenerate on a page drawn by the local renderer.",
    )
    comment = StrictCharField(
        required=False, allow_blank=True, default="", max_length=MAX_COMMENT_CHARS
    )
    seconds_spent = StrictIntegerField(
        required=False, min_value=0, max_value=MAX_SECONDS_SPENT, default=0
    )


class EvaluationSerializer(serializers.ModelSerializer):
    scores = serializers.SerializerMethodField()

    class Meta:
        model = Evaluation
        fields = ["id", "overall", "verdict", "scores"]
        read_only_fields = fields

    def get_scores(self, evaluation: Evaluation) -> dict[str, int]:
        return {
            score.criterion.key: score.value
            for score in evaluation.scores.select_related("criterion")
        }


class StatsSerializer(serializers.Serializer):
    calibration = serializers.DictField(help_text="calibration_report of the step.")
    agreement = serializers.DictField(help_text="agreement_report of the step.")
    throughput = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per evaluator on the step: evaluations, items_per_hour (of review time), "
        "median_seconds, last_24h.",
    )


class ThresholdChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ThresholdChange
        fields = ["id", "step", "old", "new", "reason", "statistics", "created_at"]
        read_only_fields = fields


class CalibrateResultSerializer(serializers.Serializer):
    changed = serializers.BooleanField()
    threshold_change = ThresholdChangeSerializer(allow_null=True)
    report = serializers.DictField()

"""A batch's progress as the API answers it: pages by status, steps, ETA, spend, the Gemini
Batch API jobs the pages wait for and the hedged calls."""

from rest_framework import serializers

from generation.models import BatchStatus


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

"""The providers' health as GET /api/v1/providers/ answers it: configured, usable, limits,
circuit and the last hour's calls, latency, errors and spend."""

from rest_framework import serializers


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

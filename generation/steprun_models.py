"""Step runs: every attempt of every step, for a page or (page null) for the batch, with its
parameters, output, score, provider and cost. Imported by generation/models.py, so that
`from generation.models import StepRun` works as before."""

from django.db import models
from django.db.models import Q

from generation.models import Batch, Page, Step, _steprun_upload


class StepRunQuerySet(models.QuerySet):
    def selected(self) -> "StepRunQuerySet":
        """The attempts chosen as their step's output."""
        return self.filter(selected=True)

    def batch_level(self) -> "StepRunQuerySet":
        """Attempts of the batch's own steps (outline, plan)."""
        return self.filter(page__isnull=True)


class StepRun(models.Model):
    """One attempt of one step, for one page or (page null) for the batch."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="step_runs")
    page = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.CASCADE, related_name="step_runs"
    )
    step = models.CharField(max_length=20, choices=Step.choices)
    attempt = models.PositiveSmallIntegerField()
    params = models.JSONField(default=dict)
    adjustments = models.JSONField(
        default=dict, blank=True, help_text="What changed from the previous attempt and why."
    )
    input_digest = models.CharField(max_length=64, blank=True)
    output_text = models.TextField(blank=True)
    output_data = models.JSONField(default=dict, blank=True)
    output_image = models.ImageField(upload_to=_steprun_upload, blank=True)
    score = models.FloatField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    hints = models.JSONField(default=list, blank=True)
    threshold = models.FloatField()
    passed = models.BooleanField(default=False)
    selected = models.BooleanField(default=False)
    provider = models.CharField(max_length=40, blank=True)
    model = models.CharField(max_length=100, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    cache_hit = models.BooleanField(default=False)
    external_id = models.CharField(
        max_length=120, blank=True, db_index=True, help_text="An asynchronous provider's task id."
    )
    external_state = models.CharField(
        max_length=12,
        blank=True,
        choices=[(s, s) for s in ("pending", "succeeded", "failed", "done")],
        help_text="pending → succeeded | failed (webhook or polling) → done (assessed by the engine).",
    )
    round_closed = models.BooleanField(
        default=False,
        help_text="The engine has selected (or given up) among this round's attempts.",
    )
    cost_usd = models.FloatField(
        default=0.0,
        help_text="Estimated price of the provider call (USD), a hedged duplicate's included.",
    )
    call_ms = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The provider call's own time to the answer used (no wait for a slot).",
    )
    hedged = models.BooleanField(
        default=False, help_text="A duplicate call was sent because the first one was slow."
    )
    hedge_after_ms = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How long the call could run before a duplicate (hedge on).",
    )
    hedge_won = models.BooleanField(default=False, help_text="The duplicate answered first.")
    hedge_cost_usd = models.FloatField(
        default=0.0, help_text="The duplicate call's price (USD), part of cost_usd."
    )
    requested_by = models.CharField(
        max_length=60,
        blank=True,
        db_index=True,
        help_text="Who asked for this re-run with an instruction or edits (e.g. evaluation:42).",
    )
    error_kind = models.CharField(max_length=30, blank=True)
    error_message = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = StepRunQuerySet.as_manager()

    class Meta:
        ordering = ["batch", "page__index", "step", "attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "step", "attempt"],
                condition=Q(page__isnull=False),
                name="steprun_attempt_unique_per_page_step",
            ),
            models.UniqueConstraint(
                fields=["batch", "step", "attempt"],
                condition=Q(page__isnull=True),
                name="steprun_attempt_unique_per_batch_step",
            ),
            models.UniqueConstraint(
                fields=["page", "step"],
                condition=Q(selected=True, page__isnull=False),
                name="steprun_one_selected_per_page_step",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=10),
                name="steprun_score_0_10",
            ),
            models.CheckConstraint(
                condition=Q(threshold__gte=0, threshold__lte=10), name="steprun_threshold_0_10"
            ),
        ]
        indexes = [
            models.Index(fields=["step", "passed"]),
            # A provider's recent call times (the hedge delay).
            models.Index(fields=["provider", "step", "finished_at"]),
            # The render cache: an identical request's stored image, looked up before every
            # provider call (without it, a scan of every render the database holds).
            models.Index(fields=["step", "input_digest"]),
        ]

    def __str__(self) -> str:
        where = f"page {self.page.index}" if self.page_id else "batch"
        return f"{self.step} #{self.attempt} ({where})"

"""Human review of step outputs: criteria, the review queue, evaluations and the feedback
history of thresholds (DESIGN §3)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from generation.models import Step, StepPolicy, StepRun


class Criterion(models.Model):
    """What evaluators score for one step, 1-10. A criterion that has been used is retired
    (active=False) and replaced, never edited in place, so old evaluations keep their meaning."""

    step = models.CharField(max_length=20, choices=Step.choices)
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=80)
    description = models.TextField(help_text="What a 1, a 5 and a 10 look like.")
    weight = models.FloatField(default=1.0)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["step", "order", "id"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["step", "key"], condition=Q(active=True), name="criterion_active_key_unique"
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.step}: {self.label}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and self.scores.exists():
            stored = Criterion.objects.filter(pk=self.pk).values(*FROZEN_CRITERION_FIELDS).first()
            changed = [
                name
                for name in FROZEN_CRITERION_FIELDS
                if stored is not None and stored[name] != getattr(self, name)
            ]
            if changed:
                raise ValidationError(
                    f"criterion {self.key!r} has been used in evaluations, so its "
                    f"{', '.join(changed)} cannot change: retire it and add a new one"
                )
        super().save(*args, **kwargs)


# What an evaluator read when scoring: fixed once a score refers to the criterion.
FROZEN_CRITERION_FIELDS = ("step", "key", "label", "description", "weight")


class ReviewReason(models.TextChoices):
    BELOW_THRESHOLD = "below_threshold"
    SAMPLED = "sampled"
    FLAGGED = "flagged"
    REQUESTED = "requested"


class ReviewItem(models.Model):
    """A StepRun waiting for people."""

    step_run = models.OneToOneField(StepRun, on_delete=models.CASCADE, related_name="review_item")
    step = models.CharField(max_length=20, choices=Step.choices)
    reason = models.CharField(max_length=20, choices=ReviewReason.choices)
    priority = models.IntegerField(default=0, help_text="Higher first: held pages lead the queue.")
    evaluations_wanted = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=[("open", "open"), ("done", "done")], default="open"
    )
    note = models.TextField(blank=True, help_text="Why it was flagged, in the flagger's words.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "-priority", "created_at"]
        indexes = [models.Index(fields=["status", "step", "-priority", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(evaluations_wanted__gte=1), name="reviewitem_overlap_at_least_1"
            )
        ]

    def __str__(self) -> str:
        return f"{self.step_run} ({self.reason})"


class Verdict(models.TextChoices):
    ACCEPT = "accept"
    REJECT = "reject"
    REGENERATE = "regenerate"


# Bounds of what one evaluation records (also database constraints).
MAX_INSTRUCTION_CHARS = 2000  # as for a page regeneration's instruction
MAX_COMMENT_CHARS = 5000
MAX_SECONDS_SPENT = 86_400  # a day: more is a stopped clock, not time spent reviewing


class Evaluation(models.Model):
    """One evaluator's judgement of one StepRun; the overall is computed on the server."""

    step_run = models.ForeignKey(StepRun, on_delete=models.CASCADE, related_name="evaluations")
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluations"
    )
    overall = models.FloatField()
    verdict = models.CharField(max_length=12, choices=Verdict.choices)
    instruction = models.TextField(
        blank=True, validators=[MaxLengthValidator(MAX_INSTRUCTION_CHARS)]
    )
    comment = models.TextField(blank=True, validators=[MaxLengthValidator(MAX_COMMENT_CHARS)])
    seconds_spent = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(MAX_SECONDS_SPENT)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["step_run", "evaluator"], name="evaluation_one_per_evaluator"
            ),
            models.CheckConstraint(
                condition=Q(overall__gte=1, overall__lte=10), name="evaluation_overall_1_10"
            ),
            models.CheckConstraint(
                condition=Q(seconds_spent__lte=MAX_SECONDS_SPENT),
                name="evaluation_seconds_spent_at_most_a_day",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("comment"), MAX_COMMENT_CHARS),
                name="evaluation_comment_at_most_5000",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("instruction"), MAX_INSTRUCTION_CHARS),
                name="evaluation_instruction_at_most_2000",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} on {self.step_run}: {self.verdict}"

    @property
    def source(self) -> str:
        """How the attempts this evaluation asked for name it (StepRun.requested_by)."""
        return f"evaluation:{self.pk}"

    def follow_up_runs(self) -> models.QuerySet[StepRun]:
        """The attempts a "regenerate" verdict produced."""
        return StepRun.objects.filter(requested_by=self.source).order_by("attempt")


class Score(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    value = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "criterion"], name="score_one_per_criterion"
            ),
            models.CheckConstraint(condition=Q(value__gte=1, value__lte=10), name="score_1_10"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.key}={self.value}"


class ThresholdChange(models.Model):
    """The feedback history: every change of a step's threshold, with the statistics behind it."""

    step = models.CharField(max_length=20, choices=Step.choices)
    old = models.FloatField()
    new = models.FloatField()
    reason = models.CharField(
        max_length=12, choices=[("manual", "manual"), ("calibration", "calibration")]
    )
    statistics = models.JSONField(
        default=dict, blank=True, help_text="n, kappa, agreement, correlation, interval"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(old__gte=0, old__lte=10, new__gte=0, new__lte=10),
                name="thresholdchange_0_10",
            )
        ]

    def __str__(self) -> str:
        return f"{self.step}: {self.old:g} → {self.new:g} ({self.reason})"


class Assignment(models.Model):
    """An evaluator's hold on a review item: leased (until a time), submitted, or skipped."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="assignments")
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    state = models.CharField(
        max_length=10,
        choices=[(s, s) for s in ("leased", "submitted", "skipped")],
        default="leased",
    )
    leased_until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "evaluator"], name="assignment_one_per_evaluator"
            )
        ]
        indexes = [models.Index(fields=["item", "state", "leased_until"])]

    def __str__(self) -> str:
        return f"{self.evaluator} · {self.item} · {self.state}"


class StepThreshold(StepPolicy):
    """A step's threshold as review sees it: changed by hand or by calibration, each change
    written to the feedback history (ThresholdChange)."""

    class Meta:
        proxy = True
        verbose_name = "threshold"

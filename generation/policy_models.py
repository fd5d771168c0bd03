"""Step policies: how the engine judges each step (threshold, attempts, what to do when no
attempt passes, how much goes to human review). Imported by generation/models.py, so that
`from generation.models import StepPolicy` works as before."""

from django.db import models
from django.db.models import Q

from generation.models import Step


class NoPassRule(models.TextChoices):
    CONTINUE = "continue", "Continue with the best attempt and flag it"
    HOLD = "hold", "Hold the page for review"
    FAIL = "fail", "Fail the page"


class StepPolicy(models.Model):
    """How the engine judges one step: threshold, attempts, what to do when nothing passes."""

    step = models.CharField(max_length=20, choices=Step.choices, unique=True)
    threshold = models.FloatField(help_text="Auto score (0-10) an attempt needs to pass.")
    max_attempts = models.PositiveSmallIntegerField(default=3)
    review_sample_rate = models.FloatField(
        default=0.0, help_text="Share (0-1) of passing attempts sent to human review."
    )
    human_pass_mark = models.FloatField(
        default=7.0, help_text="Human overall (1-10) that counts as a pass."
    )
    on_no_pass = models.CharField(
        max_length=10, choices=NoPassRule.choices, default=NoPassRule.CONTINUE
    )
    review_overlap = models.PositiveSmallIntegerField(
        default=1, help_text="Evaluations wanted for each output sent to review (1-5)."
    )
    auto_calibrate = models.BooleanField(
        default=False,
        help_text="Let the hourly calibration apply a better threshold on its own "
        "(enough samples and a kappa gain of at least CALIBRATION_MIN_GAIN).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "step policies"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gte=0, threshold__lte=10), name="steppolicy_threshold_0_10"
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1, max_attempts__lte=10),
                name="steppolicy_max_attempts_1_10",
            ),
            models.CheckConstraint(
                condition=Q(review_sample_rate__gte=0, review_sample_rate__lte=1),
                name="steppolicy_sample_rate_0_1",
            ),
            models.CheckConstraint(
                condition=Q(human_pass_mark__gte=1, human_pass_mark__lte=10),
                name="steppolicy_human_pass_mark_1_10",
            ),
            models.CheckConstraint(
                condition=Q(review_overlap__gte=1, review_overlap__lte=5),
                name="steppolicy_review_overlap_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} ≥ {self.threshold:g} ({self.max_attempts} attempts)"

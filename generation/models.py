import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from generation.errors import LeaseLost
from generation.events.publish import batch_changed
from generation.options import BatchOptions
from generation.slides import PAGE_KINDS

STEP_NAMES = ("outline", "plan", "describe", "render", "finish")
BATCH_STEPS = ("outline", "plan")
PAGE_STEPS = ("describe", "render", "finish")


class Step(models.TextChoices):
    OUTLINE = "outline"
    PLAN = "plan"
    DESCRIBE = "describe"
    RENDER = "render"
    FINISH = "finish"


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


class BatchStatus(models.TextChoices):
    PENDING = "pending"
    PLANNING = "planning"
    # Planned, waiting for someone to approve the plan (options.pause_after = "plan").
    AWAITING_APPROVAL = "awaiting_approval"
    RUNNING = "running"
    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"


class BatchQuerySet(models.QuerySet):
    def running(self) -> "BatchQuerySet":
        return self.filter(status=BatchStatus.RUNNING)

    def finished(self) -> "BatchQuerySet":
        return self.filter(status__in=Batch.FINAL_STATUSES)


class Batch(models.Model):
    FINAL_STATUSES = (
        BatchStatus.COMPLETED,
        BatchStatus.PARTIAL,
        BatchStatus.FAILED,
        BatchStatus.CANCELLED,
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="batches",
    )
    kind = models.CharField(
        max_length=10, choices=[("deck", "deck"), ("image", "image")], default="deck"
    )
    title = models.CharField(max_length=300, blank=True)
    outline = models.TextField()
    template = models.ForeignKey(
        "templates_app.SlideTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="batches",
    )
    template_snapshot = models.JSONField(default=dict)
    reference_images = models.JSONField(
        default=list,
        blank=True,
        help_text="The batch's own images (logo, photos) as uploaded with it: "
        '[{"role": "logo" | "photo", "path", "sha256"}], sent after the template\'s.',
    )
    options = models.JSONField(default=dict)
    status = models.CharField(
        max_length=20, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    total_pages = models.PositiveIntegerField(default=0)
    completed_pages = models.PositiveIntegerField(default=0)
    failed_pages = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its planning task was last sent to the queue."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.title or str(self.id)

    @property
    def opts(self) -> BatchOptions:
        """The stored options, typed (read them here, never `options[...]` by key)."""
        return BatchOptions.from_stored(self.options)

    @property
    def size(self) -> tuple[int, int]:
        return self.opts.dimensions

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    def reopen(self) -> None:
        """Running again (a page was queued again): not finished, no error."""
        Batch.objects.filter(pk=self.pk).update(
            status=BatchStatus.RUNNING, finished_at=None, error="", updated_at=timezone.now()
        )

    def fail(self, error: str) -> None:
        self.status, self.error, self.finished_at = BatchStatus.FAILED, error, timezone.now()
        self.save(update_fields=["status", "error", "finished_at", "updated_at"])


def _counter() -> models.IntegerField:
    return models.IntegerField(default=0, db_default=0, editable=False)


class BatchCounters(models.Model):
    """A batch's page and step counts, kept by database triggers on every insert, update and
    delete of its pages and step runs (migration 0014_progress_counters), however the row
    changes (save, QuerySet.update, the admin, SQL), so that polling progress reads one row
    instead of counting. The triggers create it with its batch."""

    batch = models.OneToOneField(
        Batch, primary_key=True, on_delete=models.CASCADE, related_name="counters"
    )
    # pages by status; `waiting` = pending pages waiting for a provider
    pending = _counter()
    running = _counter()
    held = _counter()
    completed = _counter()
    failed = _counter()
    cancelled = _counter()
    waiting = _counter()
    # running pages by current step, and selected outputs by step
    describe_running = _counter()
    render_running = _counter()
    finish_running = _counter()
    describe_done = _counter()
    render_done = _counter()
    finish_done = _counter()
    cost_usd = models.FloatField(default=0.0, db_default=0.0, editable=False)

    class Meta:
        verbose_name_plural = "batch counters"

    def __str__(self) -> str:
        return f"counters of {self.batch_id}"


class PageStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    HELD = "held"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


LEASE_FREE = {"lease_owner": "", "lease_until": None}


class PageQuerySet(models.QuerySet):
    def open(self) -> "PageQuerySet":
        """Not finished: pending, running or held for review."""
        return self.filter(status__in=Page.OPEN_STATUSES)

    def in_running_batches(self) -> "PageQuerySet":
        return self.filter(batch__status=BatchStatus.RUNNING)

    def lease_expired(self, now: datetime) -> "PageQuerySet":
        return self.filter(status=PageStatus.RUNNING, lease_until__lt=now)

    def claimable(self, now: datetime) -> "PageQuerySet":
        """Pending or under an expired lease, with a step left to run. The page's own columns
        only: a join would turn a conditional UPDATE into `id IN (subquery)`, which PostgreSQL
        does not re-check after waiting for the row lock, and racing workers would all win."""
        free = Q(status=PageStatus.PENDING) | Q(status=PageStatus.RUNNING, lease_until__lt=now)
        return self.filter(free).exclude(resume_step="")

    def release(self) -> int:
        """Give up these pages' leases: pending again, their resume points kept."""
        return self.update(status=PageStatus.PENDING, **LEASE_FREE)


def _page_upload(instance: "Page", filename: str) -> str:
    return f"batches/{instance.batch_id}/pages/{filename}"


def _steprun_upload(instance: "StepRun", filename: str) -> str:
    return f"batches/{instance.batch_id}/attempts/{filename}"


class Page(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="pages")
    index = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=[(k, k) for k in PAGE_KINDS])
    title = models.CharField(max_length=300, blank=True)
    plan = models.JSONField(default=dict)
    description = models.TextField(blank=True)
    image_prompt = models.TextField(blank=True)
    image = models.ImageField(upload_to=_page_upload, blank=True)
    thumbnail = models.ImageField(upload_to=_page_upload, blank=True)
    status = models.CharField(max_length=10, choices=PageStatus.choices, default=PageStatus.PENDING)
    current_step = models.CharField(max_length=20, choices=Step.choices, blank=True)
    flagged = models.BooleanField(default=False)
    flag_reason = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    resume_step = models.CharField(
        max_length=20,
        choices=Step.choices,
        default=Step.DESCRIBE,
        blank=True,
        help_text="The step a worker (re)starts from; empty once the page is done.",
    )
    instruction = models.TextField(
        blank=True, help_text="For the next run of resume_step, then cleared."
    )
    instruction_source = models.CharField(
        max_length=60,
        blank=True,
        help_text="Who asked for the instruction (e.g. evaluation:42); copied to the StepRuns it produces.",
    )
    regeneration = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the last regeneration asked of the next render round (mode, "
        "instruction, edits, the image to refine, who asked); cleared once that round "
        "is done.",
    )
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    waiting_for = models.CharField(
        max_length=40, blank=True, help_text="The provider whose open circuit this page waits for."
    )
    not_before = models.DateTimeField(
        null=True, blank=True, help_text="Re-queued once this has passed."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(
        auto_now=True,
        help_text="When the row last changed, however it was written (database triggers, "
        "migration 0024): the event stream's cursor.",
    )

    objects = PageQuerySet.as_manager()

    OPEN_STATUSES = (PageStatus.PENDING, PageStatus.RUNNING, PageStatus.HELD)

    class Meta:
        ordering = ["batch", "index"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "index"], name="page_index_unique_per_batch")
        ]
        indexes = [
            models.Index(fields=["status", "lease_until"]),
            models.Index(fields=["batch", "updated_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.index}. {self.title}"

    @staticmethod
    def step_after(step: str) -> str:
        """The page step that follows `step`; empty after the last."""
        following = PAGE_STEPS[PAGE_STEPS.index(step) + 1 :]
        return following[0] if following else ""

    def write(self, fields: list[str], *, lease: str) -> None:
        """Save `fields`; under a lease, only while `lease` still holds the page. The batch's
        event streams are woken once it commits."""
        if not lease:
            self.save(update_fields=fields)
        else:
            values = {field: getattr(self, field) for field in fields}
            if not Page.objects.filter(pk=self.pk, lease_owner=lease).update(**values):
                raise LeaseLost(f"page {self.pk} is no longer leased to {lease}")
        batch_changed(self.batch_id)

    def start(self, *, lease: str) -> None:
        self.status, self.error = PageStatus.RUNNING, ""
        self.started_at = self.started_at or timezone.now()
        self.current_step = self.resume_step or self.current_step
        self.write(["status", "error", "started_at", "current_step"], lease=lease)

    def advance(self, *, lease: str, also: list[str] | None = None) -> None:
        """The resume step is done: on to the next, and its instruction is used up. `also`:
        fields the step's commit set, written in the same UPDATE."""
        step = self.resume_step
        self.resume_step = self.step_after(step)
        self.current_step = self.resume_step or step
        self.instruction = self.instruction_source = ""
        fields = [*(also or ()), "resume_step", "current_step", "instruction", "instruction_source"]
        if step == Step.RENDER and self.regeneration:
            self.regeneration = {}
            fields.append("regeneration")
        self.write(fields, lease=lease)

    def release_lease(self) -> list[str]:
        """Clear the lease on this instance; returns the fields to write."""
        for field, value in LEASE_FREE.items():
            setattr(self, field, value)
        return list(LEASE_FREE)

    def park(self, *, provider: str, until: datetime, lease: str) -> None:
        """Back to pending without the lease until `until`, waiting for `provider`."""
        self.status, self.waiting_for, self.not_before = PageStatus.PENDING, provider, until
        self.write(["status", "waiting_for", "not_before", *self.release_lease()], lease=lease)

    def finish(self, *, status: str, error: str = "", lease: str) -> None:
        """The run is over (completed, held, failed or cancelled): its lease goes too."""
        self.status, self.error, self.finished_at = status, error, timezone.now()
        self.write(["status", "error", "finished_at", *self.release_lease()], lease=lease)


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


class ProviderCall(models.Model):
    """A provider call in flight. Counting the live rows bounds calls per provider across
    every worker process; a row whose holder died stops counting once it expires.

    A `reserved` row is a hedged duplicate waiting for the next free slot: other calls count it
    as taken, so the duplicate of a slow call goes before pages that have not started yet."""

    provider = models.CharField(max_length=40)
    holder = models.CharField(max_length=100)
    reserved = models.BooleanField(default=False)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["provider", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.provider} call by {self.holder}"


class ProviderGate(models.Model):
    """One row per provider, locked while a slot is counted and taken. It also keeps the
    provider's circuit breaker and its requests-per-minute window, shared by every worker."""

    provider = models.CharField(max_length=40, unique=True)
    failures = models.PositiveIntegerField(default=0, help_text="Consecutive transient failures.")
    open_until = models.DateTimeField(null=True, blank=True, help_text="Circuit open: calls wait.")
    probe_until = models.DateTimeField(
        null=True, blank=True, help_text="A half-open probe is in flight."
    )
    window_start = models.DateTimeField(null=True, blank=True)
    window_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "provider"
        verbose_name_plural = "providers"

    def __str__(self) -> str:
        return self.provider


class BatchApiRequest(models.Model):
    """A render attempt's request waiting to go out in (or answered by) a Gemini Batch API
    job: options.delivery = "batch". `key` is the request's metadata key in the job and the
    waiting StepRun's external_id; `job_name` is empty until the request is submitted."""

    key = models.CharField(max_length=120, unique=True)
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="batch_api_requests")
    model = models.CharField(max_length=100)
    body = models.JSONField(help_text="GenerateContentRequest without the reference images.")
    image_size = models.CharField(max_length=4)
    tries = models.PositiveSmallIntegerField(
        default=1, help_text="Jobs this request went into (a transient error retries it)."
    )
    job_name = models.CharField(max_length=120, blank=True, db_index=True)
    job_state = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key} in {self.job_name or 'no job yet'}"


# Credits live in their own module (models.py is long enough); imported here so that Django
# finds them with the app's other models.
from generation.credit_models import (  # noqa: E402, F401
    CreditBalance,
    CreditEntry,
    CreditKind,
    IdempotentRequest,
)
from generation.upload_models import SingleImage, Upload  # noqa: E402, F401  (models.py is long)

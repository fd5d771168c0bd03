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


# Groups of models live in their own modules (one job each); imported here so that Django finds
# them with the app's other models and `from generation.models import X` keeps working. They
# import Batch, Page and Step from here, so these lines come last.
from generation.credit_models import (  # noqa: E402, F401
    CreditBalance,
    CreditEntry,
    CreditKind,
    IdempotentRequest,
)
from generation.policy_models import NoPassRule, StepPolicy  # noqa: E402, F401
from generation.provider_models import (  # noqa: E402, F401
    BatchApiRequest,
    ProviderCall,
    ProviderGate,
)
from generation.steprun_models import StepRun  # noqa: E402
from generation.upload_models import SingleImage, Upload  # noqa: E402, F401

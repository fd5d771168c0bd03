"""What the workers share about providers: calls in flight (`ProviderCall`), each provider's
slots, circuit breaker and rate window (`ProviderGate`), and requests sent through the Gemini
Batch API (`BatchApiRequest`). Imported by generation/models.py, so that
`from generation.models import ProviderGate` works as before."""

from django.db import models

from generation.models import Batch


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

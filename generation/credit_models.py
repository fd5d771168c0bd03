"""Credits: an append-only ledger of entries and one balance row per user, changed together.

Every change of a user's credits is a `CreditEntry` (grant, reserve, capture, release, adjust)
with a unique idempotency key; the user's `CreditBalance` row is updated in the same
transaction (generation/services/credits.py) and the database refuses a balance below zero.
`IdempotentRequest` remembers the answer to an API request sent with an `Idempotency-Key`
header, so that a retried request is served once.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q


class CreditKind(models.TextChoices):
    GRANT = "grant"  # credits given (sign-up, staff): balance up
    RESERVE = "reserve"  # held for work that may cost them: balance down, held up
    CAPTURE = "capture"  # held credits spent on finished work: held down
    RELEASE = "release"  # held credits given back (failed, cancelled, not needed): held down
    ADJUST = "adjust"  # a correction by staff, either way: balance up or down


class CreditBalance(models.Model):
    """What a user has: `balance` to spend and `held` for work in progress."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="credit_balance",
    )
    balance = models.BigIntegerField(default=0)
    held = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="credit_balance_not_negative"),
            models.CheckConstraint(condition=Q(held__gte=0), name="credit_held_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.balance} credits ({self.held} held)"


class CreditEntry(models.Model):
    """One change of a user's credits; never changed or deleted once written. `amount` is
    positive, except for `adjust`, whose sign says which way the balance moved."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_entries"
    )
    kind = models.CharField(max_length=10, choices=CreditKind.choices)
    amount = models.BigIntegerField()
    balance_after = models.BigIntegerField(help_text="The user's balance after this entry.")
    held_after = models.BigIntegerField(help_text="The user's held credits after this entry.")
    reason = models.CharField(max_length=300)
    batch = models.ForeignKey(
        "generation.Batch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credit_entries",
        help_text="The deck or image (a one-page batch of kind image) the credits are for.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credit_entries_made",
        help_text="Who made the change (the user, or staff for a grant); empty for the system.",
    )
    key = models.CharField(max_length=300, unique=True, help_text="Idempotency key.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "credit entries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["batch", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CreditKind.values), name="credit_entry_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) | (Q(kind=CreditKind.ADJUST) & ~Q(amount=0)),
                name="credit_entry_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} for {self.user_id}"


class IdempotentRequest(models.Model):
    """The answer given to a user's request sent with an Idempotency-Key: a retry with the same
    key gets it again instead of running the request twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotent_requests"
    )
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=200, help_text="The operation and its target.")
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    status = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.scope} by {self.user_id} ({self.key})"

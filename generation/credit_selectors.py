"""Reads of the credit ledger: a user's balance and entries. Writes: services/credits.py."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from generation.models import Batch, CreditBalance, CreditEntry, CreditKind


def credit_balance(*, user: AbstractBaseUser) -> dict[str, int]:
    """{"balance": what the user can spend, "held": reserved for work in progress}."""
    row = CreditBalance.objects.filter(user=user).values("balance", "held").first()
    return row or {"balance": 0, "held": 0}


def credit_entries(*, user: AbstractBaseUser) -> QuerySet[CreditEntry]:
    """The user's ledger, newest first."""
    return (
        CreditEntry.objects.filter(user=user)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def _sum_of(kind: str) -> Coalesce:
    entries = Sum("credit_entries__amount", filter=Q(credit_entries__kind=kind))
    return Coalesce(entries, Value(0), output_field=IntegerField())


def with_credits(batches: QuerySet[Batch]) -> QuerySet[Batch]:
    """`batches` annotated with what their work cost in credits: `credits_spent` (captured)
    and `credits_held` (reserved, neither captured nor released yet)."""
    return batches.annotate(
        credits_spent=_sum_of(CreditKind.CAPTURE),
        credits_reserved=_sum_of(CreditKind.RESERVE),
        credits_released=_sum_of(CreditKind.RELEASE),
    )


def credits_of(batch: Batch) -> dict[str, int]:
    """What a batch annotated by `with_credits` cost in credits: `spent` (captured) and `held`
    (reserved, not yet captured or released)."""
    spent = getattr(batch, "credits_spent", 0)
    held = getattr(batch, "credits_reserved", 0) - spent - getattr(batch, "credits_released", 0)
    return {"spent": spent, "held": held}

"""Reads of the credit ledger: a user's balance and entries. Writes: services/credits.py."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from generation.models import CreditBalance, CreditEntry


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

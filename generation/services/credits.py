"""The credit ledger's writes: grant, adjust, reserve, capture, release.

Each call writes one `CreditEntry` and updates the user's `CreditBalance` row in the same
transaction, under that row's lock (`select_for_update` on PostgreSQL; SQLite's IMMEDIATE
transactions take the write lock at BEGIN, which serializes them too). Every call takes an
idempotency key: a second call with a key already written changes nothing and returns the
entry written the first time. The database refuses a balance or held amount below zero
(CreditBalance's CHECK constraints); a reserve beyond the balance raises InsufficientCredits
(HTTP 402) before that.

    balance: what the user can spend        held: reserved for work in progress
    grant +amount / adjust ±amount          reserve: balance -amount, held +amount
    capture: held -amount (spent)           release: held -amount, balance +amount
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from generation.errors import InsufficientCredits, InvalidInput
from generation.models import Batch, CreditBalance, CreditEntry, CreditKind

logger = logging.getLogger("nanodeck.credits")


def payer_is_charged(user: AbstractBaseUser | None) -> bool:
    """Whether work done for `user` costs credits: not for nobody (the command line), and not
    for staff unless CHARGE_STAFF is on."""
    if user is None or not user.is_authenticated:
        return False
    return settings.CHARGE_STAFF or not user.is_staff


def _locked_balance(user: AbstractBaseUser) -> CreditBalance:
    """The user's balance row, locked until the transaction ends (made on first use). Locks
    are always taken in one order, a batch's row before a balance row, so that two writers
    never wait for each other (https://docs.djangoproject.com/en/5.2/ref/models/querysets/
    #select-for-update; https://zulip.readthedocs.io/en/latest/subsystems/database-concurrency.html)."""
    CreditBalance.objects.get_or_create(user=user)
    return CreditBalance.objects.select_for_update().get(user=user)


@transaction.atomic
def _write(
    *,
    user: AbstractBaseUser,
    kind: str,
    amount: int,
    reason: str,
    key: str,
    batch: Batch | None = None,
    by: AbstractBaseUser | None = None,
) -> CreditEntry:
    if amount == 0 or (amount < 0 and kind != CreditKind.ADJUST):
        raise InvalidInput(f"a {kind} needs a positive amount", details={"amount": amount})
    if not reason.strip():
        raise InvalidInput(f"a {kind} needs a reason", details={"reason": ""})
    row = _locked_balance(user)
    earlier = CreditEntry.objects.filter(key=key).first()
    if earlier is not None:  # the same request again: served once
        return earlier
    balance, held = _moved(row, kind, amount)
    row.balance, row.held = balance, held
    row.save(update_fields=["balance", "held", "updated_at"])
    entry = CreditEntry.objects.create(
        user=user,
        kind=kind,
        amount=amount,
        balance_after=balance,
        held_after=held,
        reason=reason.strip()[:300],
        batch=batch,
        created_by=by,
        key=key,
    )
    logger.info(
        "credits_%s user=%s amount=%s balance=%s held=%s batch=%s",
        kind,
        user.pk,
        amount,
        balance,
        held,
        batch.pk if batch else "-",
    )
    return entry


def _moved(row: CreditBalance, kind: str, amount: int) -> tuple[int, int]:
    """The balance and held amount after the entry; refuses what would go below zero."""
    balance, held = row.balance, row.held
    if kind == CreditKind.RESERVE:
        if amount > balance:
            raise InsufficientCredits(needed=amount, balance=balance)
        return balance - amount, held + amount
    if kind in (CreditKind.GRANT, CreditKind.ADJUST):
        if balance + amount < 0:
            raise InvalidInput(
                f"the balance is {balance}; an adjustment of {amount} would make it negative",
                details={"amount": amount},
            )
        return balance + amount, held
    if amount > held:
        raise InvalidInput(f"only {held} credits are held; cannot {kind} {amount}")
    return (balance + amount if kind == CreditKind.RELEASE else balance), held - amount


def credits_grant(
    *, user: AbstractBaseUser, amount: int, reason: str, key: str, by: AbstractBaseUser | None
) -> CreditEntry:
    """Give a user credits (sign-up, staff)."""
    return _write(user=user, kind=CreditKind.GRANT, amount=amount, reason=reason, key=key, by=by)


def credits_adjust(
    *, user: AbstractBaseUser, amount: int, reason: str, key: str, by: AbstractBaseUser | None
) -> CreditEntry:
    """Correct a balance either way (a negative amount takes credits; never below zero)."""
    return _write(user=user, kind=CreditKind.ADJUST, amount=amount, reason=reason, key=key, by=by)


def credits_reserve(
    *,
    user: AbstractBaseUser,
    amount: int,
    reason: str,
    key: str,
    batch: Batch | None = None,
    by: AbstractBaseUser | None = None,
) -> CreditEntry:
    """Hold credits for work; InsufficientCredits (402) when the balance is short."""
    return _write(
        user=user,
        kind=CreditKind.RESERVE,
        amount=amount,
        reason=reason,
        key=key,
        batch=batch,
        by=by or user,
    )


def credits_capture(
    *, user: AbstractBaseUser, amount: int, reason: str, key: str, batch: Batch | None
) -> CreditEntry:
    """Spend held credits on finished work."""
    return _write(
        user=user, kind=CreditKind.CAPTURE, amount=amount, reason=reason, key=key, batch=batch
    )


def credits_release(
    *, user: AbstractBaseUser, amount: int, reason: str, key: str, batch: Batch | None
) -> CreditEntry:
    """Give held credits back (work failed, was cancelled or was not needed)."""
    return _write(
        user=user, kind=CreditKind.RELEASE, amount=amount, reason=reason, key=key, batch=batch
    )


def credits_check(*, user: AbstractBaseUser | None, amount: int) -> None:
    """Raise InsufficientCredits when a charged user's balance is below `amount`, without a
    lock: a refusal before anything is stored (the reserve itself checks again, locked)."""
    if amount <= 0 or not payer_is_charged(user):
        return
    balance = CreditBalance.objects.filter(user=user).values_list("balance", flat=True).first() or 0
    if balance < amount:
        raise InsufficientCredits(needed=amount, balance=balance)


def reserve_for_batch(
    *, batch: Batch, user: AbstractBaseUser | None, amount: int, key: str
) -> CreditEntry | None:
    """Reserve what a deck or an image (a one-page batch of kind image) can cost, for its
    payer; call it inside the transaction that stores the batch, after the batch row is saved,
    so that a 402 stores nothing. None when nothing is charged (no payer, staff, price 0).
    Captures and releases follow by themselves as the batch's pages finish (credit_charges)."""
    if amount <= 0 or not payer_is_charged(user):
        return None
    return credits_reserve(
        user=user, amount=amount, reason=f"{batch.kind} {batch.pk}", key=key, batch=batch
    )

"""What work costs and how a batch's held credits follow its pages.

A deck reserves, when it is created, what it can cost: the deck page price (CREDIT_COSTS
`deck_page`) times the most slides its plan can make. Each page that finishes with a new
image captures one page's price; whatever is held beyond one page's price per page still open
(pending, running or held for review) is released: the surplus of the estimate once the plan
has made the pages, a failed page's share, everything once the batch is final (completed,
partial, failed, cancelled; a budget-stopped page fails). `credits_settle` does this from the
batch's state, so it is safe to run any number of times; `batch_refresh`, planning and cancel
call it. Work that runs pages again (regenerate, edits, added pages, retry) reserves again for
each page it sends back to the workers (`credits_for_reruns`). Hedged and retried provider
calls are the service's cost, never the user's: a page is charged once per image it ends with.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Case, F, Sum, When

from generation.models import (
    Batch,
    BatchStatus,
    CreditEntry,
    CreditKind,
    Page,
    PageStatus,
    Step,
    StepRun,
)
from generation.options import BatchOptions
from generation.planning.outline import OutlineError, parse_outline
from generation.planning.planner import compose_pages
from generation.render.fit import fit_measure
from generation.services.credits import (
    credits_capture,
    credits_check,
    credits_release,
    credits_reserve,
    payer_is_charged,
)

HOLD_KINDS = (CreditKind.RESERVE, CreditKind.CAPTURE, CreditKind.RELEASE)


def image_price(size: str) -> int:
    """The price of one single image of `size` ("1K", "2K" or "4K")."""
    return settings.CREDIT_COSTS[f"image_{size}"]


def page_price(batch: Batch) -> int:
    """What one page of the batch costs: the deck page price, or for a single image (a
    one-page batch of kind image) what its first reservation held."""
    if batch.kind == "deck":
        return settings.CREDIT_COSTS["deck_page"]
    first = CreditEntry.objects.filter(batch=batch, kind=CreditKind.RESERVE).order_by("id").first()
    return first.amount if first else 0


def deck_page_estimate(*, outline: str, options: BatchOptions, fonts: tuple[str, str]) -> int:
    """The most slides the plan step can make of the outline: as the local planner's first
    attempt plans them (six items a page, continuation pages for what does not fit), at most
    MAX_PAGES_PER_BATCH; a brief the local planner cannot read, or any outline planned by a
    text model, may make up to MAX_PAGES_PER_BATCH."""
    limit = settings.NANODECK["MAX_PAGES_PER_BATCH"]
    if options.text_provider != "local":
        return limit
    try:
        structured = parse_outline(outline)
    except OutlineError:
        return limit
    language = None if options.language == "auto" else options.language
    fits = fit_measure(options.dimensions, fonts)
    pages = compose_pages(structured, fits=fits, language=language, ending=options.ending)
    return min(len(pages), limit)


def deck_charge(
    *,
    payer: AbstractBaseUser | None,
    outline: str,
    options: BatchOptions,
    fonts: tuple[str, str],
) -> int:
    """What creating this deck reserves for `payer` (0 when nothing is charged); raises
    InsufficientCredits (402) when the balance is short, before anything is stored."""
    price = settings.CREDIT_COSTS["deck_page"]
    if not price or not payer_is_charged(payer):
        return 0
    amount = price * deck_page_estimate(outline=outline, options=options, fonts=fonts)
    credits_check(user=payer, amount=amount)
    return amount


def _held_by_user(batch: Batch) -> dict[int, int]:
    signed = Case(When(kind=CreditKind.RESERVE, then=F("amount")), default=-F("amount"))
    rows = (
        CreditEntry.objects.filter(batch=batch, kind__in=HOLD_KINDS)
        .values("user")
        .annotate(held=Sum(signed))
        .order_by("user")
    )
    return {row["user"]: row["held"] for row in rows if row["held"] > 0}


def _uncaptured_images(batch: Batch) -> list[int]:
    """The selected render attempts of the batch's completed pages not paid for yet."""
    runs = StepRun.objects.selected().filter(
        page__batch=batch, page__status=PageStatus.COMPLETED, step=Step.RENDER
    )
    captured = set(
        CreditEntry.objects.filter(batch=batch, kind=CreditKind.CAPTURE).values_list(
            "key", flat=True
        )
    )
    return [
        pk
        for pk in runs.order_by("pk").values_list("pk", flat=True)
        if _capture_key(pk) not in captured
    ]


def _capture_key(run_id: int) -> str:
    return f"capture:run:{run_id}"


def credits_settle(*, batch: Batch) -> None:
    """Capture a page's price for every finished page's new image and release what is held
    beyond one page's price per open page (all of it once the batch is final). Call it with
    the batch's state as committed; it changes nothing when already settled. A batch nobody
    paid for costs one query."""
    if CreditEntry.objects.filter(batch=batch, kind=CreditKind.RESERVE).exists():
        _settle(batch)


@transaction.atomic
def _settle(batch: Batch) -> None:
    # One settlement at a time per batch; the batch's row before any balance row, always.
    status = Batch.objects.select_for_update().values_list("status", flat=True).get(pk=batch.pk)
    if status in (BatchStatus.PENDING, BatchStatus.PLANNING):  # no pages yet: the estimate holds
        return
    held = _held_by_user(batch)
    if not held:
        return
    users = get_user_model().objects.in_bulk(list(held))
    price = page_price(batch)
    for run_id in _uncaptured_images(batch):
        user_id = max(held, key=lambda pk: (held[pk], -pk))
        amount = min(price, held[user_id])
        if amount <= 0:
            break
        credits_capture(
            user=users[user_id],
            amount=amount,
            reason=f"a page of {batch.kind} {batch.pk} finished",
            key=_capture_key(run_id),
            batch=batch,
        )
        held[user_id] -= amount
    final = status in Batch.FINAL_STATUSES
    open_pages = 0 if final else batch.pages.filter(status__in=Page.OPEN_STATUSES).count()
    why = f"it is {status}" if final else "not needed by its open pages"
    _release(batch, held, users, excess=sum(held.values()) - price * open_pages, why=why)


def _release(batch: Batch, held: dict[int, int], users: dict, *, excess: int, why: str) -> None:
    for user_id, amount in held.items():
        amount = min(amount, excess)
        if amount <= 0:
            continue
        releases = CreditEntry.objects.filter(
            batch=batch, user_id=user_id, kind=CreditKind.RELEASE
        ).count()
        credits_release(
            user=users[user_id],
            amount=amount,
            reason=f"held for {batch.kind} {batch.pk}: {why}",
            key=f"release:batch:{batch.pk}:user:{user_id}:{releases + 1}",
            batch=batch,
        )
        excess -= amount


def _open_page_ids(batch_id: object) -> set[int]:
    pages = Page.objects.filter(batch_id=batch_id, status__in=Page.OPEN_STATUSES)
    return set(pages.values_list("pk", flat=True))


@contextmanager
def credits_for_reruns(*, batch: Batch, payer: AbstractBaseUser | None) -> Iterator[None]:
    """Run the block (a regenerate, an edit, an added page, a retry) in one transaction and
    reserve a page's price for each page of `batch` it sends (back) to the workers; when the
    payer's balance is short, InsufficientCredits (402) undoes the block: nothing is stored
    or queued. (A retried request is served once by its Idempotency-Key, api/idempotency.py,
    so the reservation's own key is new each time.)"""
    with transaction.atomic():
        before = _open_page_ids(batch.pk)
        yield
        rerun = len(_open_page_ids(batch.pk) - before)
        price = page_price(batch)
        if not rerun or not price or not payer_is_charged(payer):
            return
        locked = Batch.objects.select_for_update().get(pk=batch.pk)  # the batch, then the balance
        credits_reserve(
            user=payer,
            amount=rerun * price,
            reason=f"{rerun} page(s) of {batch.kind} {batch.pk} run again",
            key=f"reserve:batch:{batch.pk}:{uuid.uuid4().hex}",
            batch=locked,
        )

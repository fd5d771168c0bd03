"""The credit ledger's services: every write is one entry and one balance change, served once
per idempotency key; the database refuses a negative balance; a batch's held credits follow
its pages however often they are settled."""

import dataclasses

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from generation.errors import InsufficientCredits, InvalidInput
from generation.models import CreditBalance, CreditEntry
from generation.options import BatchOptions
from generation.services.batches import batch_cancel, batch_refresh, batch_run
from generation.services.credit_charges import credits_settle, deck_page_estimate, image_price
from generation.services.credits import (
    credits_adjust,
    credits_grant,
    credits_release,
    credits_reserve,
    reserve_for_batch,
)
from tests.factories import EN_OUTLINE, UserFactory, make_batch
from tests.generation.credits import THREE_PAGES, balance, give, ledger

pytestmark = pytest.mark.django_db


def test_the_same_key_twice_writes_one_entry_and_returns_it(user):
    first = credits_grant(user=user, amount=5, reason="gift", key="k-1", by=None)

    again = credits_grant(user=user, amount=5, reason="gift", key="k-1", by=None)

    assert again.pk == first.pk
    assert balance(user) == (5, 0)


def test_a_reserve_beyond_the_balance_raises_and_changes_nothing(user):
    give(user, 2)

    with pytest.raises(InsufficientCredits) as caught:
        credits_reserve(user=user, amount=3, reason="deck", key="r-1")

    assert caught.value.api_details() == {"needed": 3, "balance": 2}
    assert caught.value.status_code == 402
    assert ledger(user) == [("grant", 2)]


def test_an_adjustment_may_take_credits_but_never_below_zero(user):
    give(user, 5)
    credits_adjust(user=user, amount=-5, reason="correction", key="a-1", by=None)

    with pytest.raises(InvalidInput, match="would make it negative"):
        credits_adjust(user=user, amount=-1, reason="correction", key="a-2", by=None)

    assert balance(user) == (0, 0)


@pytest.mark.parametrize(("amount", "reason"), [(0, "x"), (-1, "x"), (5, ""), (5, "  ")])
def test_a_grant_needs_a_positive_amount_and_a_reason(user, amount, reason):
    with pytest.raises(InvalidInput):
        credits_grant(user=user, amount=amount, reason=reason, key="g", by=None)

    assert not CreditEntry.objects.exists()


def test_the_database_refuses_a_negative_balance(user):
    give(user, 1)

    with pytest.raises(IntegrityError), transaction.atomic():
        CreditBalance.objects.filter(user=user).update(balance=F("balance") - 2)


def test_the_database_refuses_an_entry_with_a_negative_amount_unless_an_adjustment(user):
    give(user, 1)
    row = {"user": user, "balance_after": 0, "held_after": 0, "reason": "x"}

    with pytest.raises(IntegrityError), transaction.atomic():
        CreditEntry.objects.create(kind="grant", amount=-1, key="neg", **row)
    CreditEntry.objects.create(kind="adjust", amount=-1, key="adj", **row)


def test_staff_and_nobody_are_not_charged_unless_charge_staff(user, priced, settings):
    batch = make_batch(outline=THREE_PAGES)
    staff = UserFactory(is_staff=True)

    assert reserve_for_batch(batch=batch, user=None, amount=3, key="x1") is None
    assert reserve_for_batch(batch=batch, user=staff, amount=3, key="x2") is None
    settings.CHARGE_STAFF = True
    with pytest.raises(InsufficientCredits):
        reserve_for_batch(batch=batch, user=staff, amount=3, key="x3")


def test_settling_again_and_again_changes_nothing(user, priced, settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    give(user, 10)
    batch = make_batch(outline=THREE_PAGES, owner=user, payer=user)
    batch = batch_run(batch=batch)
    entries = ledger(user)

    for _ in range(3):
        credits_settle(batch=batch)
        batch_refresh(batch=batch)

    assert ledger(user) == entries == [("grant", 10), ("reserve", 3), *[("capture", 1)] * 3]


def test_a_deck_made_without_a_payer_is_free(user, priced, settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}

    batch_run(batch=make_batch(outline=THREE_PAGES, owner=user))

    assert not CreditEntry.objects.exists()


def test_cancelling_before_planning_gives_everything_back(user, priced):
    give(user, 10)
    batch = make_batch(outline=THREE_PAGES, owner=user, payer=user)

    batch_cancel(batch=batch)

    assert balance(user) == (10, 0)
    assert ledger(user)[1:] == [("reserve", 3), ("release", 3)]


def test_the_estimate_is_what_the_plan_makes_for_an_outline_the_local_planner_reads(user, settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    options = BatchOptions.parse({})
    fonts = ("Noto Sans CJK SC", "Noto Sans CJK SC")

    estimate = deck_page_estimate(outline=EN_OUTLINE, options=options, fonts=fonts)

    assert estimate == batch_run(batch=make_batch(outline=EN_OUTLINE)).pages.count()
    remote = dataclasses.replace(options, text_provider="openai")
    assert (
        deck_page_estimate(outline=EN_OUTLINE, options=remote, fonts=fonts)
        == (settings.NANODECK["MAX_PAGES_PER_BATCH"])
    )


def test_a_plan_with_fewer_pages_than_reserved_gives_the_surplus_back(user, priced, settings):
    """A brief planned by a text model reserves MAX_PAGES_PER_BATCH pages; planning that
    fails gives them all back, as a plan that makes fewer gives back the difference."""
    settings.NANODECK = {**settings.NANODECK, "MAX_PAGES_PER_BATCH": 5}
    give(user, 10)

    batch = batch_run(batch=make_batch(outline="just one line of a brief", owner=user, payer=user))

    assert batch.status == "failed"
    assert ledger(user)[1:] == [("reserve", 5), ("release", 5)]
    assert balance(user) == (10, 0)


def test_nothing_is_released_beyond_what_is_held(user):
    give(user, 5)
    credits_reserve(user=user, amount=2, reason="deck", key="r")

    with pytest.raises(InvalidInput, match="only 2 credits are held"):
        credits_release(user=user, amount=3, reason="x", key="rel", batch=None)

    assert balance(user) == (3, 2)


def test_a_single_image_costs_what_its_size_costs(priced):
    assert [image_price(size) for size in ("1K", "2K", "4K")] == [1, 2, 4]

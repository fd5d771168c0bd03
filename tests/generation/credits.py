"""What the credit tests share: the prices (`priced` in conftest.py), a user's balance, the
ledger as tuples."""

from django.conf import settings

from generation.credit_selectors import credit_balance
from generation.models import CreditEntry
from generation.services.credits import credits_grant

PRICES = {"image_1K": 1, "image_2K": 2, "image_4K": 4, "deck_page": 1}
# cover, one content page, the ending: 3 slides, 3 credits at a credit a page
THREE_PAGES = "# Tiny deck\n\n### One idea\n- first point\n- second point\n"


def give(user, amount: int) -> None:
    credits_grant(user=user, amount=amount, reason="test", key=f"test:{user.pk}:{amount}", by=None)


def balance(user) -> tuple[int, int]:
    """(balance, held)."""
    row = credit_balance(user=user)
    return row["balance"], row["held"]


def ledger(user) -> list[tuple[str, int]]:
    """The user's entries, oldest first, as (kind, amount)."""
    entries = CreditEntry.objects.filter(user=user).order_by("id")
    return list(entries.values_list("kind", "amount"))


def deck_page_price() -> int:
    return settings.CREDIT_COSTS["deck_page"]

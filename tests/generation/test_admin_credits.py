"""Credits in the admin: the users list shows balances, a user's page its ledger, the grant
action asks for an amount and a reason; ledger entries can be read and searched, never
changed, added or deleted."""

import pytest
from django.contrib.auth import get_user_model

from generation.models import CreditEntry
from tests.factories import UserFactory
from tests.generation.credits import balance, give, ledger

pytestmark = pytest.mark.django_db

USERS = "/admin/auth/user/"
ENTRIES = "/admin/generation/creditentry/"


@pytest.fixture
def lin():
    user = UserFactory(username="lin")
    give(user, 7)
    return user


def grant(admin_client, users, **form):
    data = {"action": "grant_credits", "_selected_action": [u.pk for u in users], **form}
    return admin_client.post(USERS, data, follow=True)


def test_the_users_list_shows_each_balance(admin_client, lin):
    response = admin_client.get(f"{USERS}?q=lin")

    rows = response.context["cl"].result_list
    assert [(row.username, row.credit_balance.balance) for row in rows] == [("lin", 7)]
    assert b'<td class="field-credits">7</td>' in response.content


def test_a_users_page_shows_the_ledger_read_only(admin_client, lin):
    response = admin_client.get(f"{USERS}{lin.pk}/change/")

    assert response.status_code == 200
    assert b"Credit ledger (newest first)" in response.content
    assert b"test" in response.content  # the grant's reason


def test_the_grant_action_asks_for_an_amount_and_a_reason_then_grants(admin_client, lin):
    other = UserFactory()

    form = grant(admin_client, [lin, other])
    assert b"Grant credits to 2 user(s)" in form.content
    done = grant(admin_client, [lin, other], apply="Grant", amount="5", reason="workshop")

    assert b"Granted 5 credits to 2 user(s)" in done.content
    assert balance(lin) == (12, 0)
    assert balance(other) == (5, 0)
    admin = get_user_model().objects.get(username="admin")
    assert set(
        CreditEntry.objects.filter(reason="workshop").values_list("created_by", flat=True)
    ) == {admin.pk}


@pytest.mark.parametrize(
    "form", [{"amount": "-5", "reason": "x"}, {"amount": "0", "reason": "x"}, {"amount": "5"}]
)
def test_a_grant_with_a_bad_amount_or_no_reason_shows_the_form_again(admin_client, lin, form):
    response = grant(admin_client, [lin], apply="Grant", **form)

    assert b"Grant credits to 1 user(s)" in response.content
    assert b"errorlist" in response.content
    assert ledger(lin) == [("grant", 7)]


def test_entries_are_listed_filtered_and_searched_but_never_changed(admin_client, lin):
    entry = CreditEntry.objects.get()

    listed = admin_client.get(f"{ENTRIES}?kind__exact=grant&q=lin")

    assert list(listed.context["cl"].result_list) == [entry]
    assert admin_client.get(f"{ENTRIES}add/").status_code == 403
    assert admin_client.post(f"{ENTRIES}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    page = admin_client.get(f"{ENTRIES}{entry.pk}/change/")
    assert page.status_code == 200
    assert b'name="amount"' not in page.content

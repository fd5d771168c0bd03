"""Credits under concurrent requests, on PostgreSQL: real threads, each with its own database
connection, all sent at once. The balance row's lock lets exactly as many decks start as
the credits pay for; the others are refused with a 402 and store nothing."""

import threading

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import Batch, CreditEntry, StepRun
from generation.tasks import plan_batch
from tests.factories import SlideTemplateFactory, UserFactory
from tests.generation.credits import THREE_PAGES, balance, give

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent transactions (make test runs this there)")


def send_at_once(token: str, requests: int) -> list[int]:
    """POST `requests` 3-page decks (3 credits each) from as many threads at once."""
    statuses, start = [], threading.Barrier(requests)

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        payload = {"outline": THREE_PAGES, "template": "business"}
        try:
            start.wait()
            statuses.append(client.post("/api/v1/batches/", payload, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.fixture
def user(priced):
    SlideTemplateFactory(slug="business")
    return UserFactory()


def test_50_requests_of_3_credits_against_30_start_exactly_10(user):
    give(user, 30)

    statuses = send_at_once(Token.objects.create(user=user).key, 50)

    assert (statuses.count(201), statuses.count(402), len(statuses)) == (10, 40, 50)
    assert Batch.objects.count() == 10
    assert balance(user) == (0, 30)
    reserves = CreditEntry.objects.filter(kind="reserve")
    assert sorted(reserves.values_list("amount", flat=True)) == [3] * 10
    assert set(reserves.values_list("batch", flat=True)) == set(
        Batch.objects.values_list("pk", flat=True)
    )


def test_3_credits_and_10_requests_of_3_start_at_most_one_provider_call(user):
    give(user, 3)

    statuses = send_at_once(Token.objects.create(user=user).key, 10)

    assert (statuses.count(201), statuses.count(402)) == (1, 9)
    assert Batch.objects.count() == 1
    assert balance(user) == (0, 3)
    plan_batch(str(Batch.objects.get().pk))
    # the one deck's planning is the only work that ran: its outline and plan steps
    assert StepRun.objects.filter(page__isnull=True).count() == 2


def test_concurrent_sign_ups_with_one_email_in_any_case_make_one_account(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "register": "1000/hour"}
    statuses, start = [], threading.Barrier(8)

    def sign_up(n: int) -> None:
        payload = {"username": f"twin{n}", "email": f"Twin@Example.{'com' if n % 2 else 'COM'}"}
        try:
            start.wait()
            response = APIClient().post(
                "/api/v1/auth/register/", {**payload, "password": "plum-blossom-4821"}
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert (statuses.count(201), statuses.count(400)) == (1, 7)
    assert CreditEntry.objects.filter(reason="sign-up credits").count() == 1

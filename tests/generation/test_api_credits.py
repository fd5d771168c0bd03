"""Credits through the API: a deck reserves what it can cost, finished pages capture, failed
and cancelled work is released, a regenerate reserves again, short credits are a 402 that
stores and queues nothing, and a request retried with its Idempotency-Key is served once."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import Batch, CreditEntry, IdempotentRequest, Page, PageStatus
from generation.providers import registry
from generation.providers.base import ErrorKind, ProviderError
from generation.providers.local import LocalProvider
from generation.tasks import plan_batch, run_page
from tests.api_errors import error_of
from tests.factories import SlideTemplateFactory, UserFactory
from tests.generation.credits import THREE_PAGES, balance, give, ledger

pytestmark = pytest.mark.django_db

BATCHES = "/api/v1/batches/"


class RefusingProvider(LocalProvider):
    """Refuses the page titled "One idea" (content_blocked: not retried), draws the others."""

    name = "refusing"

    def generate(self, request):
        if request.page_plan.get("title") == "One idea":
            raise ProviderError(ErrorKind.CONTENT_BLOCKED, "blocked for the test")
        return super().generate(request)


class FlakyProvider(LocalProvider):
    """Its first call times out (transient: tried again), the others draw."""

    name = "flaky"
    calls = 0

    def generate(self, request):
        type(self).calls += 1
        if type(self).calls == 1:
            raise ProviderError(ErrorKind.TRANSIENT, "timed out for the test")
        return super().generate(request)


@pytest.fixture(autouse=True)
def _setup(settings, monkeypatch):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    settings.NANODECK["TRANSIENT_BACKOFF"] = [0.0]
    for provider in (RefusingProvider, FlakyProvider):
        monkeypatch.setitem(
            registry.PROVIDERS, provider.name, f"{__name__}.{provider.__qualname__}"
        )
    FlakyProvider.calls = 0
    SlideTemplateFactory(slug="business")


def create(api, outline: str = THREE_PAGES, key: str | None = None, **options):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    payload = {"outline": outline, "template": "business", "options": options}
    return api.post(BATCHES, payload, format="json", **headers)


def run_all(batch_id: str) -> Batch:
    plan_batch(batch_id)
    for page_id in Page.objects.filter(batch_id=batch_id).values_list("pk", flat=True):
        run_page(page_id)
    return Batch.objects.get(pk=batch_id)


def regenerate(api, page: Page, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(
        f"/api/v1/pages/{page.pk}/regenerate/", {"from_step": "render"}, format="json", **headers
    )


def test_a_deck_reserves_its_pages_and_each_finished_page_captures_its_share(api, user, priced):
    give(user, 10)

    response = create(api)

    assert response.status_code == 201, response.json()
    assert balance(user) == (7, 3)
    batch = run_all(response.json()["id"])
    assert batch.status == "completed"
    assert balance(user) == (7, 0)
    assert ledger(user) == [("grant", 10), ("reserve", 3), *[("capture", 1)] * 3]
    assert set(CreditEntry.objects.exclude(kind="grant").values_list("batch", flat=True)) == {
        batch.pk
    }


def test_a_batch_shows_the_credits_it_holds_and_has_spent(api, user, priced):
    give(user, 10)
    batch_id = create(api).json()["id"]
    plan_batch(batch_id)
    run_page(Page.objects.get(batch_id=batch_id, index=1).pk)

    held = api.get(f"{BATCHES}{batch_id}/").json()["credits"]
    run_all(batch_id)
    done = api.get(f"{BATCHES}{batch_id}/").json()["credits"]

    assert held == {"spent": 1, "held": 2}
    assert done == {"spent": 3, "held": 0}


def test_a_failed_page_gives_its_share_back(api, user, priced):
    give(user, 10)

    batch = run_all(create(api, provider="refusing").json()["id"])

    assert batch.status == "partial"
    assert batch.pages.filter(status=PageStatus.FAILED).count() == 1
    assert balance(user) == (8, 0)  # released as soon as the page failed
    assert sorted(ledger(user)[2:]) == [("capture", 1), ("capture", 1), ("release", 1)]


def test_cancelling_gives_back_what_the_open_pages_held(api, user, priced):
    give(user, 10)
    batch_id = create(api).json()["id"]
    plan_batch(batch_id)
    run_page(Page.objects.get(batch_id=batch_id, index=1).pk)

    response = api.post(f"{BATCHES}{batch_id}/cancel/")

    assert response.status_code == 200
    assert balance(user) == (9, 0)
    assert ledger(user)[1:] == [("reserve", 3), ("capture", 1), ("release", 2)]
    entry = CreditEntry.objects.get(kind="release")
    assert entry.reason == f"held for deck {batch_id}: it is cancelled"


def test_a_deck_costs_more_than_the_balance_is_a_402_that_stores_and_queues_nothing(
    api, user, priced, django_capture_on_commit_callbacks
):
    give(user, 2)

    with django_capture_on_commit_callbacks() as callbacks:
        response = create(api)

    error = error_of(response, 402)
    assert error == {
        "code": "insufficient_credits",
        "message": "this needs 3 credits; you have 2",
        "details": {"needed": 3, "balance": 2},
    }
    assert not Batch.objects.exists()
    assert callbacks == []
    assert balance(user) == (2, 0)
    assert ledger(user) == [("grant", 2)]


def test_a_regenerate_reserves_a_page_and_captures_it_when_the_page_is_redrawn(api, user, priced):
    give(user, 4)
    batch = run_all(create(api).json()["id"])
    page = batch.pages.get(index=2)

    response = regenerate(api, page)

    assert response.status_code == 202, response.json()
    assert balance(user) == (0, 1)
    run_page(page.pk)
    assert balance(user) == (0, 0)
    assert ledger(user)[-2:] == [("reserve", 1), ("capture", 1)]


def test_a_regenerate_without_credits_is_a_402_and_the_page_stays_as_it_was(
    api, user, priced, django_capture_on_commit_callbacks
):
    give(user, 3)
    batch = run_all(create(api).json()["id"])
    page = batch.pages.get(index=2)

    with django_capture_on_commit_callbacks() as callbacks:
        response = regenerate(api, page)

    error = error_of(response, 402)
    assert error["details"] == {"needed": 1, "balance": 0}
    assert callbacks == []
    page.refresh_from_db()
    assert (page.status, page.resume_step) == (PageStatus.COMPLETED, "")
    assert Batch.objects.get().status == "completed"
    assert ledger(user)[-1] == ("capture", 1)


def test_a_regenerated_page_that_fails_gives_its_credit_back(api, user, priced):
    give(user, 10)
    batch = run_all(create(api, provider="refusing").json()["id"])
    failed = batch.pages.get(status=PageStatus.FAILED)

    assert regenerate(api, failed).status_code == 202
    assert balance(user) == (7, 1)
    run_page(failed.pk)

    assert balance(user) == (8, 0)
    assert ledger(user)[-2:] == [("reserve", 1), ("release", 1)]


def test_a_page_edit_that_runs_the_page_again_reserves_it(api, user, priced):
    give(user, 3)
    batch = run_all(create(api).json()["id"])
    page = batch.pages.get(index=2)

    response = api.patch(f"/api/v1/pages/{page.pk}/", {"plan": {"title": "Renamed"}}, format="json")

    assert error_of(response, 402)["details"] == {"needed": 1, "balance": 0}
    page.refresh_from_db()
    assert page.title != "Renamed"
    give(user, 1)
    assert (
        api.patch(
            f"/api/v1/pages/{page.pk}/", {"plan": {"title": "Renamed"}}, format="json"
        ).status_code
        == 200
    )
    assert balance(user) == (0, 1)


def test_a_retry_with_the_same_idempotency_key_is_served_once(api, user, priced):
    give(user, 10)

    first = create(api, key="deck-7f3a")
    again = create(api, key="deck-7f3a")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Batch.objects.count() == 1
    assert ledger(user) == [("grant", 10), ("reserve", 3)]


def test_the_same_key_is_a_new_request_for_another_user(api, user, priced):
    other = UserFactory()
    give(user, 10)
    give(other, 10)
    create(api, key="shared-key")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other).key}")

    assert create(client, key="shared-key").status_code == 201
    assert Batch.objects.count() == 2


def test_the_same_key_with_another_body_is_a_conflict(api, user, priced):
    give(user, 10)
    create(api, key="deck-1")

    response = create(api, outline=THREE_PAGES.replace("Tiny", "Small"), key="deck-1")

    assert "another request" in error_of(response, 409)["message"]
    assert Batch.objects.count() == 1


def test_a_refused_request_stores_no_claim_so_its_key_works_after_a_top_up(api, user, priced):
    give(user, 1)
    error_of(create(api, key="after-top-up"), 402)
    assert not IdempotentRequest.objects.exists()
    give(user, 5)

    assert create(api, key="after-top-up").status_code == 201


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve", "semi;colon"])
def test_a_malformed_idempotency_key_is_a_400_and_nothing_is_stored(api, user, priced, key):
    give(user, 10)

    error = error_of(create(api, key=key), 400)

    assert error["code"] == "invalid"
    assert list(error["details"]) == ["Idempotency-Key"]
    assert not Batch.objects.exists()
    assert ledger(user) == [("grant", 10)]


def test_a_regenerate_retried_with_its_key_reserves_once(api, user, priced):
    give(user, 5)
    batch = run_all(create(api).json()["id"])
    page = batch.pages.get(index=2)

    first = regenerate(api, page, key="regen-1")
    again = regenerate(api, page, key="regen-1")

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert ledger(user).count(("reserve", 1)) == 1


def test_staff_are_not_charged_unless_charge_staff_is_on(api, user, priced, settings):
    user.is_staff = True
    user.save()

    assert create(api).status_code == 201
    assert not CreditEntry.objects.exists()
    settings.CHARGE_STAFF = True
    assert error_of(create(api), 402)["details"] == {"needed": 3, "balance": 0}


def test_my_ledger_lists_my_entries_newest_first_paginated(api, user, priced):
    give(user, 10)
    create(api)
    UserFactory()  # others' entries never show

    response = api.get("/api/v1/me/credits/?page_size=1")

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 2
    (entry,) = body["results"]
    assert (entry["kind"], entry["amount"], entry["balance_after"], entry["held_after"]) == (
        "reserve",
        3,
        7,
        3,
    )
    assert entry["batch"] == str(Batch.objects.get().pk)
    assert entry["created_by"] == user.username


def test_retrying_failed_pages_reserves_them_again(api, user, priced):
    give(user, 3)
    batch = run_all(create(api, provider="refusing").json()["id"])
    assert balance(user) == (1, 0)

    response = api.post(f"{BATCHES}{batch.pk}/retry-failed/")

    assert response.status_code == 202
    assert balance(user) == (0, 1)
    assert ledger(user)[-1] == ("reserve", 1)


def test_an_added_page_reserves_its_price_and_a_402_adds_nothing(api, user, priced):
    give(user, 3)
    batch = run_all(create(api).json()["id"])
    url = f"{BATCHES}{batch.pk}/pages/"

    error = error_of(api.post(url, {"index": 2, "plan": {"title": "More"}}, format="json"), 402)

    assert error["details"] == {"needed": 1, "balance": 0}
    assert batch.pages.count() == 3
    give(user, 1)
    assert api.post(url, {"index": 2, "plan": {"title": "More"}}, format="json").status_code == 201
    assert batch.pages.count() == 4
    assert balance(user) == (0, 1)


def test_a_call_tried_again_costs_the_user_nothing_more(api, user, priced):
    give(user, 10)

    batch = run_all(create(api, provider="flaky").json()["id"])

    assert batch.status == "completed"
    assert FlakyProvider.calls == 4  # three pages, one call tried twice
    assert balance(user) == (7, 0)
    assert ledger(user)[1:] == [("reserve", 3), *[("capture", 1)] * 3]


def test_pages_stopped_by_the_budget_give_their_credits_back(api, user, priced):
    give(user, 10)

    batch = run_all(create(api, budget_usd=0).json()["id"])

    assert batch.status == "failed"
    assert set(batch.pages.values_list("error", flat=True)) == {
        "the batch's budget of $0.00 is reached ($0.00 spent)"
    }
    assert balance(user) == (10, 0)
    assert ledger(user)[1:] == [("reserve", 3), ("release", 1), ("release", 1), ("release", 1)]

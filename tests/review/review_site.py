"""What the review site's tests (test_site_*.py) share: an evaluator and a client signed in
as them (the fixtures `evaluator` and `client`, which each module binds by name), review
items, and the site's pages leased, read and answered."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from generation.models import Page, StepRun
from review.models import ReviewItem
from tests.factories import RENDER_SCORES, UserFactory, make_batch


def make_evaluator() -> User:
    user = UserFactory()
    user.groups.add(Group.objects.get(name="evaluators"))
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def evaluator() -> User:
    return make_evaluator()


@pytest.fixture
def client(evaluator) -> Client:
    return client_for(evaluator)


def make_item(
    step: str, *, outline: str | None = None, reason: str = "below_threshold", **run: object
) -> ReviewItem:
    """A review item of `step` on page 1 of a new batch (or of the batch, for plan)."""
    batch = make_batch(**({"outline": outline} if outline else {}))
    page = None
    if step != "plan":
        page = Page.objects.create(
            batch=batch,
            index=1,
            kind="content",
            title="Why remote works",
            description="A calm slide: three focus tips on the left, a desk photo on the right.",
            plan={
                "kind": "content",
                "title": "Why remote works",
                "items": [{"title": "Focus time", "text": "fewer interruptions", "children": []}],
            },
        )
    step_run = StepRun.objects.create(
        batch=batch,
        page=page,
        step=step,
        attempt=1,
        threshold=7,
        score=run.pop("score", 5.0),
        started_at=timezone.now(),
        **run,
    )
    return ReviewItem.objects.create(step_run=step_run, step=step, reason=reason)


def lease(client: Client, step: str = "") -> str:
    """Ask for the next item; the URL of the item page it redirects to."""
    response = client.get("/review/next/" + (f"?step={step}" if step else ""))
    assert response["Location"].startswith("/review/items/")
    return response["Location"]


def page_of(client: Client, step: str = "") -> str:
    response = client.get(lease(client, step))
    assert response.status_code == 200
    return response.content.decode()


def form_data(scores: dict | None = None, **fields: str) -> dict:
    data = {f"score_{key}": value for key, value in (scores or RENDER_SCORES).items()}
    return {
        **data,
        "verdict": "accept",
        "comment": "",
        "instruction": "",
        "seconds": "12",
        **fields,
    }


def checked(html: str, name: str, value: str) -> bool:
    return bool(re.search(rf'<input type="radio" name="{name}" value="{value}"[^>]*checked', html))

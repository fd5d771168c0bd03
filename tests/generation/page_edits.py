"""What the page-edit tests (test_api_page_*.py) share: the sample deck's titles, the decks
they start from (the fixtures `batch` and `paused`, which each module binds by name), and
the API calls that edit, add and reorder pages."""

import pytest

from generation.models import Batch, Page, PageStatus
from generation.services.batches import batch_run
from generation.tasks import plan_batch, run_page
from tests.factories import make_batch

# cover, contents, 01 Foundations, Why remote works, Tools compared, 02 Practice, Onboarding steps
TITLES = [
    "Remote Work Playbook",
    "Contents",
    "Foundations",
    "Why remote works",
    "Tools compared",
    "Practice",
    "Onboarding steps",
]
NO_ENDING = {"ending": False}  # the ending page follows the sections too: see its own test
NEW_ITEMS = [
    {"title": "Async first", "text": "write it down"},
    {"title": "Meet less", "text": "", "children": ["one weekly sync"]},
]


@pytest.fixture
def batch(user) -> Batch:
    return batch_run(batch=make_batch(owner=user, options=NO_ENDING))


@pytest.fixture
def paused(user) -> Batch:
    batch = make_batch(owner=user, options={**NO_ENDING, "pause_after": "plan"})
    plan_batch(str(batch.pk))
    return Batch.objects.get(pk=batch.pk)


def page_at(batch: Batch, index: int) -> Page:
    return batch.pages.get(index=index)


def titles(batch: Batch) -> list[str]:
    return list(batch.pages.order_by("index").values_list("title", flat=True))


def edit(api, page: Page, plan: dict):
    return api.patch(f"/api/v1/pages/{page.pk}/", {"plan": plan}, format="json")


def reorder(api, batch: Batch, ids: list):
    return api.post(f"/api/v1/batches/{batch.pk}/reorder/", {"pages": ids}, format="json")


def add(api, batch: Batch, index: object, plan: dict):
    body = {"index": index, "plan": plan}
    return api.post(f"/api/v1/batches/{batch.pk}/pages/", body, format="json")


def run_open_pages(batch: Batch) -> None:
    for page_id in batch.pages.exclude(status=PageStatus.COMPLETED).values_list("pk", flat=True):
        run_page(page_id)


def snapshot(batch: Batch) -> list[tuple]:
    return list(batch.pages.order_by("index").values_list("pk", "index", "title", "plan", "status"))

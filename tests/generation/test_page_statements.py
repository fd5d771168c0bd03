"""What a page task does before its image call: its step policies and earlier attempts read
once, a step's first passing attempt inserted selected, the page's own fields written with its
advance, under its lease."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from generation.models import Page, StepPolicy, StepRun
from generation.pipeline.steps.describe import DescribeStep
from generation.providers.local import LocalProvider
from generation.services.batches import batch_plan
from generation.services.pages import page_claim, page_run
from generation.tasks import run_page
from tests.factories import make_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]


@pytest.fixture
def pages():
    """Two planned pages, the first run already (policies and the provider's gate row exist),
    no sampled review (its receiver reads a policy of its own)."""
    batch = batch_plan(batch=make_batch())
    StepPolicy.objects.update(review_sample_rate=0)
    first, second = batch.pages.order_by("index")[:2]
    run_page(first.pk)
    return first, second


def _selects(queries: CaptureQueriesContext, table: str) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT") and f'FROM "{table}"' in query["sql"]
    ]


def test_a_page_reads_its_step_policies_and_its_attempts_once(pages):
    with CaptureQueriesContext(connection) as queries:
        assert run_page(pages[1].pk) == "completed"

    assert len(_selects(queries, "generation_steppolicy")) == 1
    # besides the render cache's lookup (other pages' renders, by their digest)
    reads = _selects(queries, "generation_steprun")
    assert len([sql for sql in reads if '"input_digest" =' not in sql]) == 1


def test_a_page_calls_the_image_provider_after_at_most_12_statements(pages, monkeypatch):
    """16 before (a policy and an attempts read a step, the selection's UPDATE, the page's
    description in an UPDATE of its own); on PostgreSQL one more (the slot's SET LOCAL)."""
    counted: list[int] = []
    generate = LocalProvider.generate

    def counting(self, request):
        # the test's own transaction turns each commit into a savepoint and its release
        sql = [query["sql"] for query in queries.captured_queries]
        counted.append(len([s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE"))]))
        return generate(self, request)

    monkeypatch.setattr(LocalProvider, "generate", counting)
    with CaptureQueriesContext(connection) as queries:
        run_page(pages[1].pk)

    assert counted
    assert counted[0] <= 12


def test_each_step_of_a_clean_page_records_one_attempt_selected_and_closed(pages):
    runs = StepRun.objects.filter(page=pages[1])
    run_page(pages[1].pk)

    assert sorted(runs.values_list("step", "attempt", "selected", "round_closed")) == [
        ("describe", 1, True, True),
        ("finish", 1, True, True),
        ("render", 1, True, True),
    ]
    page = Page.objects.get(pk=pages[1].pk)
    assert page.description
    assert page.image_prompt
    assert page.image
    assert page.thumbnail


def test_a_worker_that_lost_the_lease_during_describe_writes_no_description(pages, monkeypatch):
    """The description is written with the page's advance, under the lease: a worker whose
    lease another took meanwhile records its attempt, open and unselected, for that worker."""
    page = page_claim(page_id=pages[1].pk, worker="w1")
    assess = DescribeStep.assess

    def taken_over(self, ctx, output):
        Page.objects.filter(pk=page.pk).update(lease_owner="w2")
        return assess(self, ctx, output)

    monkeypatch.setattr(DescribeStep, "assess", taken_over)
    page_run(page=page, worker="w1", claimed=True)

    stored = Page.objects.get(pk=page.pk)
    assert (stored.lease_owner, stored.description, stored.resume_step) == ("w2", "", "describe")
    assert list(
        StepRun.objects.filter(page=page).values_list("step", "passed", "selected", "round_closed")
    ) == [("describe", True, False, False)]


def test_a_page_runs_its_steps_under_the_policies_read_when_it_started(pages, monkeypatch):
    """A policy edited while a page runs applies from the next page on."""
    threshold = StepPolicy.objects.get(step="render").threshold
    page = page_claim(page_id=pages[1].pk, worker="w1")
    assess = DescribeStep.assess

    def edited(self, ctx, output):
        StepPolicy.objects.filter(step="render").update(threshold=threshold / 2)
        return assess(self, ctx, output)

    monkeypatch.setattr(DescribeStep, "assess", edited)
    page_run(page=page, worker="w1", claimed=True)

    assert Page.objects.get(pk=page.pk).status == "completed"
    assert StepRun.objects.get(page=page, step="render").threshold == threshold

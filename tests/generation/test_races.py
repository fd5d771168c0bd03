"""A synchronous run (generate_deck, batch_run) and workers on the same pages: each page is
generated once, by whoever holds its lease, and a lost race never fails a page."""

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from pptx import Presentation

from generation.cluster import ROOT, start_cluster, stop_cluster
from generation.models import Page, PageStatus, StepRun
from generation.providers import registry
from generation.providers.local import LocalProvider
from generation.services.batches import batch_run
from generation.services.sweeper import sweep
from generation.tasks import run_page
from tests.factories import make_batch
from tests.processes import manage
from tests.stacks import STACKS, real_stack

pytestmark = pytest.mark.django_db

SHORT_OUTLINE = "# Race\n\n### One\n- a\n- b\n\n### Two\n- c\n- d\n"


class TakenOverProvider(LocalProvider):
    """Its first image takes so long that the caller's lease runs out: meanwhile the sweeper
    hands the page back to the queue and another worker claims it and finishes it."""

    name = "takeover"
    calls = 0

    def generate(self, request):
        type(self).calls += 1
        if type(self).calls == 1:
            page = Page.objects.get(status=PageStatus.RUNNING)
            Page.objects.filter(pk=page.pk).update(
                lease_until=timezone.now() - timedelta(seconds=1)
            )
            sweep()
            assert run_page(page.pk) == "completed"
        return super().generate(request)


@pytest.fixture
def takeover(monkeypatch, settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    monkeypatch.setitem(
        registry.PROVIDERS, "takeover", f"{__name__}.{TakenOverProvider.__qualname__}"
    )
    TakenOverProvider.calls = 0


def assert_each_step_ran_once_per_page(pages) -> None:
    for page in pages:
        runs = StepRun.objects.filter(page=page)
        attempts = sorted(runs.values_list("step", "attempt"))
        assert attempts == [("describe", 1), ("finish", 1), ("render", 1)], page


def test_a_synchronous_run_whose_page_a_worker_took_over_never_fails_that_page(takeover):
    batch = make_batch(outline=SHORT_OUTLINE, options={"provider": "takeover"})

    batch = batch_run(batch=batch)

    pages = list(batch.pages.order_by("index"))
    assert [page.status for page in pages] == ["completed"] * len(pages)
    assert [page.error for page in pages] == [""] * len(pages)
    assert batch.status == "completed"
    assert_each_step_ran_once_per_page(pages)


class WatchingProvider(LocalProvider):
    """Notes the lease of the page it draws and runs a worker's task for that page."""

    name = "watching"
    seen: dict = {}

    def generate(self, request):
        page = Page.objects.get(status=PageStatus.RUNNING)
        self.seen.setdefault("lease", (page.lease_owner, page.lease_until))
        self.seen.setdefault("worker", run_page(page.pk))
        return super().generate(request)


def test_a_synchronous_run_holds_a_lease_on_the_page_it_runs(takeover, monkeypatch):
    """While the synchronous run draws a page the page is leased, so a worker's task for it
    is skipped instead of generating it a second time."""
    monkeypatch.setitem(
        registry.PROVIDERS, "watching", f"{__name__}.{WatchingProvider.__qualname__}"
    )
    WatchingProvider.seen = {}

    batch = batch_run(batch=make_batch(outline=SHORT_OUTLINE, options={"provider": "watching"}))

    owner, until = WatchingProvider.seen["lease"]
    assert owner
    assert until > timezone.now()
    assert WatchingProvider.seen["worker"] == "skipped"
    assert batch.status == "completed"
    assert_each_step_ran_once_per_page(batch.pages.all())


# --- real processes ------------------------------------------------------------------------

RACE_PAGES = 40
RACE_OUTLINE = "# Race drill\n\n" + "\n".join(
    f"## Page {n}\n- first point of page {n}\n- second point of page {n}\n"
    for n in range(1, RACE_PAGES)
)


@pytest.fixture(params=STACKS)
def race_stack(request, tmp_path):
    """A database and broker of the race's own (tests.stacks)."""
    with real_stack(
        request.param,
        tmp_path,
        "race",
        BENCHMARK_PROVIDERS="1",
        LATENCY_PROVIDER_SECONDS="0.3",
        Q_WORKERS="2",
        OCR_ENABLED="0",
        LOG_LEVEL="WARNING",
    ) as found:
        yield found


def test_generate_deck_beside_a_sweeper_and_a_cluster_makes_every_page_once(race_stack, tmp_path):
    """The tester's reproduction: a 40-page generate_deck while the sweeper runs and a cluster
    serves the queue. Every page ends completed exactly once and the deck has 40 slides."""
    env, db = race_stack
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_starter_templates")
    outline = tmp_path / "outline.md"
    outline.write_text(RACE_OUTLINE, encoding="utf-8")
    deck = tmp_path / "deck.pptx"
    command = ["generate_deck", str(outline), "--out", str(deck), "--provider", "latency"]
    command.append("--no-ending")  # a cover and 39 content pages, nothing else
    cli = subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cluster = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if db.rows("SELECT count(*) FROM generation_page")[0][0] == RACE_PAGES:
                break
            time.sleep(0.1)
        manage(env, "sweep")
        cluster = start_cluster(env, tmp_path / "cluster.log")
        _, stderr = cli.communicate(timeout=240)
    finally:
        if cluster is not None:
            stop_cluster(cluster)
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 0, stderr[-3000:]
    statuses = db.rows("SELECT status, count(*) FROM generation_page GROUP BY status")
    assert statuses == [("completed", RACE_PAGES)]
    attempts = db.rows(
        "SELECT page_id, step, min(attempt), max(attempt), count(*) FROM generation_steprun "
        "WHERE page_id IS NOT NULL GROUP BY page_id, step",
    )
    assert len(attempts) == 3 * RACE_PAGES
    assert all(low == 1 and high == count for _, _, low, high, count in attempts)
    selected = db.rows(
        "SELECT count(*) FROM generation_steprun WHERE selected AND page_id IS NOT NULL "
        "GROUP BY page_id, step",
    )
    assert {count for (count,) in selected} == {1}
    assert len(Presentation(deck).slides) == RACE_PAGES

"""The filters and row changes the services share: QuerySets and Page's lease methods."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generation.errors import LeaseLost
from generation.models import Batch, Page, PageStatus, StepRun
from generation.services.batches import batch_plan
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages() -> list[Page]:
    batch = batch_plan(batch=make_batch())
    return list(batch.pages.order_by("index")[:5])


def test_claimable_pages_are_pending_or_under_an_expired_lease_with_a_step_left(pages):
    now = timezone.now()
    pending, expired, leased, held, done = pages
    Page.objects.filter(pk=expired.pk).update(status="running", lease_until=now - timedelta(1))
    Page.objects.filter(pk=leased.pk).update(status="running", lease_until=now + timedelta(1))
    Page.objects.filter(pk=held.pk).update(status="held")
    Page.objects.filter(pk=done.pk).update(resume_step="")

    claimable = Page.objects.filter(pk__in=[p.pk for p in pages]).claimable(now)

    assert sorted(claimable.values_list("pk", flat=True)) == [pending.pk, expired.pk]
    assert list(Page.objects.lease_expired(now).values_list("pk", flat=True)) == [expired.pk]
    assert Page.objects.filter(pk__in=[p.pk for p in pages]).open().count() == 5


def test_released_pages_are_pending_without_a_lease_and_keep_their_resume_point(pages):
    page = pages[0]
    Page.objects.filter(pk=page.pk).update(
        status="running", lease_owner="w1", lease_until=timezone.now(), resume_step="render"
    )

    assert Page.objects.filter(pk=page.pk).release() == 1

    page.refresh_from_db()
    assert (page.status, page.lease_owner, page.lease_until, page.resume_step) == (
        PageStatus.PENDING,
        "",
        None,
        "render",
    )


def test_a_page_written_under_a_lease_it_lost_raises_and_changes_nothing(pages):
    page = pages[0]
    Page.objects.filter(pk=page.pk).update(status="running", lease_owner="w2")

    with pytest.raises(LeaseLost, match="no longer leased to w1"):
        page.finish(status=PageStatus.COMPLETED, lease="w1")

    page.refresh_from_db()
    assert (page.status, page.lease_owner, page.finished_at) == ("running", "w2", None)


def test_parking_a_page_gives_up_its_lease_until_the_provider_answers(pages):
    page = pages[0]
    Page.objects.filter(pk=page.pk).update(status="running", lease_owner="w1")
    until = timezone.now() + timedelta(minutes=5)

    page.park(provider="kie", until=until, lease="w1")

    page.refresh_from_db()
    assert (page.status, page.waiting_for, page.not_before, page.lease_owner) == (
        "pending",
        "kie",
        until,
        "",
    )


def test_the_steps_follow_each_other_and_end_empty():
    assert [Page.step_after(s) for s in ("describe", "render", "finish")] == [
        "render",
        "finish",
        "",
    ]


def test_querysets_name_the_filters_the_services_repeat(pages):
    batch = pages[0].batch

    assert list(Batch.objects.running()) == [batch]
    assert not Batch.objects.finished().exists()
    assert set(StepRun.objects.batch_level().selected().values_list("step", flat=True)) == {
        "outline",
        "plan",
    }

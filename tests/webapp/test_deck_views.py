"""The deck page: its grid, progress and downloads, and the deck-wide actions (cancel, approve
the plan, retry, add and move pages), through Django's test client."""

import json
import re

import pytest
from django.urls import reverse

from generation.models import Batch, Page
from generation.services.batches import batch_plan, batch_run
from tests.factories import UserFactory, make_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

OUTLINE = """# Team rituals
How we work

### Planning
- Weekly: one hour on Monday
- Goals: three per quarter

### Reviews
- Demos: every Friday
- Notes: written, shared
"""


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def client_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def done(user) -> Batch:
    return batch_run(batch=make_batch(owner=user, outline=OUTLINE, options={"ending": False}))


def url(name: str, deck: Batch, **kwargs) -> str:
    return reverse(f"app:{name}", kwargs={"batch_id": deck.pk, **kwargs})


def titles(deck: Batch) -> list[str]:
    return list(deck.pages.order_by("index").values_list("title", flat=True))


def test_someone_not_signed_in_is_sent_to_sign_in(client, done):
    for address in (url("deck", done), url("page", done, index=1)):
        response = client.get(address)
        assert response.status_code == 302
        assert "next=" in response["Location"]
    assert client.post(url("deck-cancel", done)).status_code == 302


def test_another_users_deck_is_not_found(client, done):
    client.force_login(UserFactory())
    assert client.get(url("deck", done)).status_code == 404
    assert client.get(url("page", done, index=1)).status_code == 404
    assert client.post(url("deck-cancel", done)).status_code == 404
    assert client.post(url("page-edit", done, index=1), {"plan-1-title": "Mine"}).status_code == 404
    assert Batch.objects.get(pk=done.pk).status == "completed"


def test_a_deck_not_planned_yet_shows_a_placeholder_and_where_to_listen(client_in, user):
    deck = make_batch(owner=user, outline=OUTLINE)

    response = client_in.get(url("deck", deck))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="grid-placeholder">' in html
    assert 'id="card-template"' in html
    config = json.loads(html.split('id="deck-config" type="application/json">')[1].split("<")[0])
    assert config["events_url"] == f"/api/v1/batches/{deck.pk}/events/"
    assert config["detail_url"] == f"/api/v1/batches/{deck.pk}/"
    assert config["status"] == "pending"
    assert "Cancel the deck" in html


def test_a_finished_deck_shows_one_linked_card_per_page_and_the_downloads(client_in, done):
    response = client_in.get(url("deck", done))

    html = response.content.decode()
    pages = list(done.pages.order_by("index"))
    for page in pages:
        assert f'href="{url("page", done, index=page.index)}"' in html
        assert page.title in html
    assert len(re.findall(r'data-index="\d+" data-status="completed"', html)) == len(pages)
    for fmt in ("pptx", "pptx-editable", "pdf", "zip"):
        assert f"/api/v1/batches/{done.pk}/export/?format={fmt}" in html
    assert "Cancel the deck" not in html
    assert 'id="fail-advice" hidden' in html.replace("\n", "")


def test_the_pptx_download_link_answers_with_the_deck(client_in, done):
    response = client_in.get(f"/api/v1/batches/{done.pk}/export/?format=pptx")

    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_a_failed_page_shows_its_reason_and_retry_sends_it_back(client_in, done):
    Page.objects.filter(pk=done.pages.get(index=2).pk).update(
        status="failed", error="text overflowed its box", resume_step="render"
    )
    html = client_in.get(url("deck", done)).content.decode()
    assert "text overflowed its box" in html

    response = client_in.post(url("page-retry", done, index=2))

    assert response.status_code == 302
    page = done.pages.get(index=2)
    assert (page.status, page.resume_step, page.error) == ("pending", "render", "")


def test_more_than_half_failed_shows_the_advice(client_in, done):
    pages = done.pages.order_by("index")
    failing = [page.pk for page in pages][: pages.count() // 2 + 1]
    Page.objects.filter(pk__in=failing).update(status="failed", error="unreadable")
    Batch.objects.filter(pk=done.pk).update(status="partial")

    html = client_in.get(url("deck", done)).content.decode()

    assert 'id="fail-advice" hidden' not in html
    assert "More than half of the pages failed" in html


def test_retry_failed_with_none_failed_says_so_and_changes_nothing(client_in, done):
    response = client_in.post(url("deck-retry-failed", done), follow=True)

    assert "no failed page" in response.content.decode()
    assert Batch.objects.get(pk=done.pk).status == "completed"


def test_cancel_stops_the_deck_and_a_second_cancel_is_refused_with_a_message(client_in, user):
    deck = batch_plan(batch=make_batch(owner=user, outline=OUTLINE))

    assert client_in.post(url("deck-cancel", deck)).status_code == 302
    assert Batch.objects.get(pk=deck.pk).status == "cancelled"
    response = client_in.post(url("deck-cancel", deck), follow=True)
    assert "already cancelled" in response.content.decode()


def test_cancel_takes_only_a_post(client_in, done):
    assert client_in.get(url("deck-cancel", done)).status_code == 405


def test_a_paused_deck_shows_each_plan_editable_then_approve_renders(client_in, user):
    deck = batch_plan(
        batch=make_batch(owner=user, outline=OUTLINE, options={"pause_after": "plan"})
    )
    html = client_in.get(url("deck", deck)).content.decode()
    assert "Approve and render" in html
    assert html.count("Save the plan") == deck.pages.count()
    page = deck.pages.get(kind="content", index=2)

    response = client_in.post(
        url("deck-plan-edit", deck, index=2),
        {
            "plan-2-title": "Planning, weekly",
            "plan-2-items": "Monday: one hour",
            "plan-2-layout": "grid",
        },
    )

    assert response.status_code == 302
    page.refresh_from_db()
    assert page.plan["title"] == "Planning, weekly"
    assert page.plan["items"] == [{"title": "Monday", "text": "one hour", "children": []}]
    assert page.plan["layout"] == "grid"
    assert client_in.post(url("deck-approve", deck)).status_code == 302
    assert Batch.objects.get(pk=deck.pk).status == "running"


def test_a_bad_plan_on_the_deck_page_is_shown_in_its_form_and_nothing_changes(client_in, user):
    deck = batch_plan(
        batch=make_batch(owner=user, outline=OUTLINE, options={"pause_after": "plan"})
    )
    before = deck.pages.get(index=2).plan

    response = client_in.post(
        url("deck-plan-edit", deck, index=2),
        {"plan-2-title": "", "plan-2-items": "kept text", "plan-2-layout": "grid"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert "kept text" in html
    assert deck.pages.get(index=2).plan == before


def test_approving_a_deck_that_is_not_paused_is_refused_with_a_message(client_in, done):
    response = client_in.post(url("deck-approve", done), follow=True)

    assert "only a batch awaiting approval" in response.content.decode()
    assert Batch.objects.get(pk=done.pk).status == "completed"


def test_a_page_added_at_a_position_goes_there(client_in, done):
    count = done.pages.count()

    response = client_in.post(
        url("deck-add-page", done),
        {"position": "2", "title": "An added page", "items": "First: a point\nSecond"},
    )

    assert response.status_code == 302
    assert done.pages.count() == count + 1
    added = done.pages.get(index=2)
    assert added.title == "An added page"
    assert added.plan["items"][0] == {"title": "First", "text": "a point", "children": []}


def test_a_page_added_past_the_end_is_refused_in_the_form_and_nothing_is_added(client_in, done):
    count = done.pages.count()

    response = client_in.post(
        url("deck-add-page", done), {"position": str(count + 5), "title": "Too far", "items": ""}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert f"index must be from 1 to {count + 1}" in html
    assert 'value="Too far"' in html
    assert done.pages.count() == count


def test_moving_a_page_down_swaps_it_with_the_next(client_in, done):
    before = titles(done)

    assert client_in.post(url("page-move", done, index=2), {"direction": "down"}).status_code == 302

    assert titles(done) == [before[0], before[2], before[1], *before[3:]]


def test_the_first_page_cannot_move_up(client_in, done):
    before = titles(done)

    response = client_in.post(url("page-move", done, index=1), {"direction": "up"}, follow=True)

    assert "cannot move that way" in response.content.decode()
    assert titles(done) == before

"""The deck page in a real browser (Debian's headless Chromium): a deck's cards fill in as its
pages are drawn, without a reload; a page's title edited shows as a new version; the PPTX
downloads and opens; another user's deck is a 404."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import BrowserContext, sync_playwright
from pptx import Presentation

from config.chromium import CHROMIUM, CHROMIUM_ARGS
from generation.services.batches import batch_plan
from generation.tasks import run_page
from tests.factories import UserFactory, make_batch
from tests.webapp.test_deck_views import OUTLINE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's Chromium at {CHROMIUM}"),
]
CARD = '#grid li[data-index="{}"]'


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[BrowserContext]:
    """A fresh headless Chromium's context that accepts downloads. Playwright's sync API runs
    an event loop in this thread, so the test's own ORM calls need DJANGO_ALLOW_ASYNC_UNSAFE."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = chromium.new_context(accept_downloads=True)
        context.set_default_timeout(15000)
        yield context
        connections.close_all()  # see tests/review/test_browser.py
        chromium.close()


def sign_in(context: BrowserContext, url: str, user: object) -> None:
    """The user's session cookie in the browser (the sign-in pages are the accounts' tests)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": url}])


def test_a_deck_fills_in_live_then_a_page_is_edited_and_the_deck_downloaded(
    live_server, server_lock, browser, tmp_path: Path
):
    user = UserFactory()
    deck = make_batch(owner=user, outline=OUTLINE, options={"ending": False})
    sign_in(browser, live_server.url, user)
    page = browser.new_page()
    page.goto(f"{live_server.url}/decks/{deck.pk}/")
    assert page.is_visible("#grid-placeholder")
    page.evaluate("window.stayed = true")  # gone if the page reloads

    with server_lock:
        batch_plan(batch=deck)  # as a worker would: the planned pages show as skeletons
        planned = list(deck.pages.order_by("index"))
    page.wait_for_selector(CARD.format(3))
    assert not page.is_visible("#grid-placeholder")
    for each in planned:
        with server_lock:
            run_page(each.pk)
        page.wait_for_selector(
            CARD.format(each.index) + '[data-status="completed"] img[data-role="thumb"][src]'
        )
    assert page.evaluate("window.stayed") is True
    assert int(page.get_attribute("#grid", "data-updates")) >= 3
    page.wait_for_selector('#deck-status[data-status="completed"]')
    assert page.get_attribute("#deck-progress", "value") == "100"

    page.focus(CARD.format(2) + " a.card-link")  # the cards are links: Enter opens one
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.fill('[name="plan-2-title"]', "Planning, every week")
    with page.expect_navigation():
        page.click("text=Save and redraw")
    assert page.get_attribute("#page-status", "data-status") == "pending"
    with server_lock:
        run_page(deck.pages.get(index=2).pk)
    page.wait_for_selector("#versions li:nth-child(2).current")  # reloaded once it was done
    assert "Planning, every week" in page.inner_text("h1")

    page.goto(f"{live_server.url}/decks/{deck.pk}/")
    with page.expect_download() as download:
        page.click("text=PowerPoint (PPTX)")
    saved = tmp_path / "deck.pptx"
    download.value.save_as(saved)
    with server_lock:
        assert len(Presentation(str(saved)).slides) == deck.pages.count()
        other = make_batch(owner=UserFactory(), outline=OUTLINE)
    assert page.goto(f"{live_server.url}/decks/{other.pk}/").status == 404


def event_stream(deck_id: object) -> str:
    """Events in the shapes issue 15 gives the stream (served here by the browser's router:
    the page must follow them without polling)."""
    pixel = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
    events = [
        (
            "start",
            {
                "batch_id": str(deck_id),
                "total_pages": 3,
                "language": "en",
                "template": "plain",
                "timestamp": "2026-12-02T02:00:00Z",
            },
        )
    ]
    for index in (1, 2, 3):
        events.append(
            (
                "page",
                {
                    "index": index,
                    "kind": "content",
                    "title": f"Streamed {index}",
                    "status": "completed",
                    "step": "finish",
                    "attempt": 1,
                    "score": 9.5,
                    "thumbnail_url": pixel,
                },
            )
        )
    events.append(
        (
            "progress",
            {
                "completed": 3,
                "failed": 0,
                "total": 3,
                "percentage": 100.0,
                "eta_seconds": 0,
                "cost_usd": 0.12,
                "credits": 3,
            },
        )
    )
    return "".join(
        f"id: {n}\nevent: {name}\ndata: {json.dumps(data)}\n\n"
        for n, (name, data) in enumerate(events, 1)
    )


def test_the_grid_follows_the_event_stream(live_server, browser):
    user = UserFactory()
    deck = make_batch(owner=user, outline=OUTLINE, options={"ending": False})
    sign_in(browser, live_server.url, user)
    page = browser.new_page()
    polled = []
    page.route(f"**/api/v1/batches/{deck.pk}/", lambda route: polled.append(1) or route.abort())
    page.route(
        "**/events/",
        lambda route: route.fulfill(
            status=200, content_type="text/event-stream", body=event_stream(deck.pk)
        ),
    )

    page.goto(f"{live_server.url}/decks/{deck.pk}/")

    page.wait_for_selector(CARD.format(3) + '[data-status="completed"] img[data-role="thumb"][src]')
    assert page.inner_text(CARD.format(2) + ' [data-role="title"]') == "Streamed 2"
    assert page.get_attribute("#deck-progress", "value") == "100"
    assert page.inner_text("#stat-cost") == "$0.1200"
    assert not page.is_visible("#grid-placeholder")
    assert polled == []

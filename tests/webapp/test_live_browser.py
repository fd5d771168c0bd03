"""The deck page in Debian's headless Chromium against a real site: uvicorn serving the event
stream and a worker cluster drawing the pages (on the pass's first stack, tests/stacks.py: on
SQLite the streams poll the database every 0.2 s, with Redis its messages wake them). A deck waits for approval with the page open; once approved, its cards fill in from
the stream, without a reload and without reading the batch's JSON, until the deck is done."""

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, sync_playwright

from config.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.live_site import PASSWORD, Site, live_site
from tests.stacks import STACKS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's Chromium at {CHROMIUM}"),
]
OUTLINE = """# Remote teams that work

## Working apart
### Async first
- Write decisions down
- Record the meetings
### Time zones
- Two hours of overlap
- Rotate the meeting times

## Staying close
### Rituals
- A weekly demo
- A monthly retrospective
### Tools
- One chat
- One tracker
"""
READS = """
window.__drawnAtRead = [];
const fetchOnce = window.fetch;
window.fetch = function (url, ...rest) {
  if (String(url).endsWith("DETAIL")) {
    window.__drawnAtRead.push(document.querySelectorAll('DRAWN').length);
  }
  return fetchOnce.call(this, url, ...rest);
};
"""
CARDS = "#grid li[data-index]"
DRAWN = CARDS + '[data-status="completed"] img[data-role="thumb"][src]'


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    # The pass's first stack: SQLite alone, PostgreSQL + Redis in make test's PostgreSQL pass.
    # DEBUG=1: static files straight from the apps' folders and cookies without Secure over
    # plain HTTP, as `make run` serves the site
    with live_site(STACKS[0], tmp_path, "livebrowser", DEBUG="1", EVENTS_POLL_SECONDS="0.2") as s:
        yield s


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        opened = chromium.new_page(viewport={"width": 1280, "height": 900})
        opened.set_default_timeout(60_000)  # a loaded machine: generous, never a sleep
        yield opened
        chromium.close()


def test_a_deck_page_fills_in_live_from_the_real_event_stream(site: Site, page: Page):
    name = f"live{uuid.uuid4().hex[:8]}"
    token = site.user(name)
    page.goto(f"{site.url}/signin/")
    page.fill("#id_username", name)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert not page.url.endswith("/signin/")

    batch_id = site.deck(token, OUTLINE, language="en", pause_after="plan")
    site.wait_for_status(batch_id, token, "awaiting_approval", timeout=120)
    detail = f"/api/v1/batches/{batch_id}/"
    read_detail: list[Request] = []
    streams: list[Request] = []
    page.on("request", lambda r: read_detail.append(r) if r.url.endswith(detail) else None)
    page.on("request", lambda r: streams.append(r) if r.resource_type == "eventsource" else None)

    # How many cards were drawn whenever the page reads the batch's JSON
    page.add_init_script(READS.replace("DETAIL", detail).replace("DRAWN", DRAWN))
    with page.expect_response(re.compile(re.escape(detail) + "events/$")) as opened:
        page.goto(f"{site.url}/decks/{batch_id}/")
    assert opened.value.status == 200
    assert opened.value.header_value("content-type").startswith("text/event-stream")
    total = page.locator(CARDS).count()
    assert total >= 7  # cover, contents, two sections, four content pages
    assert page.locator(CARDS + '[data-status="pending"]').count() == total
    page.evaluate("window.__marker = 'still here'")  # gone if the page reloads

    assert site.call("POST", f"{detail}approve/", {}, token)[0] == 202
    page.wait_for_function("drawn => document.querySelectorAll(drawn).length >= 3", arg=DRAWN)
    assert page.evaluate("window.__marker") == "still here"
    page.wait_for_selector('#deck-status[data-status="completed"]', timeout=240_000)

    assert page.evaluate("window.__marker") == "still here"
    assert page.locator(DRAWN).count() == total
    assert int(page.get_attribute("#grid", "data-updates")) >= total
    assert page.get_attribute("#deck-progress", "value") == "100"
    assert page.inner_text("#stat-done") == f"{total} / {total}"
    assert len(streams) == 1  # one EventSource, never reconnected or given up for polling
    # no polling: at most the one read the "complete" event asks for, once every card was drawn
    assert len(read_detail) <= 1
    assert page.evaluate("window.__drawnAtRead") == [total]

"""The web app in a real browser (Debian's headless Chromium through Playwright, as the review
site's test): sign up and launch a deck from a pasted outline; the 402 message; a text image
that turns up live on its page (by polling while there is no event stream) and in the gallery."""

import base64
import re
from collections.abc import Iterator

import pytest
from django.db import connections
from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

from config.chromium import CHROMIUM, CHROMIUM_ARGS
from generation.models import Batch
from generation.tasks import run_page
from tests.factories import SlideTemplateFactory, UserFactory
from tests.generation.credits import THREE_PAGES
from tests.processes import isolated_env, manage
from tests.webapp.conftest import picture

PASSWORD = "pw-for-tests-only"  # UserFactory's
DECK_URL = re.compile(r"/decks/([0-9a-f-]{36})/$")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's Chromium at {CHROMIUM}"),
]


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10000)
        yield page
        connections.close_all()
        browser.close()


@pytest.fixture(autouse=True)
def template():
    SlideTemplateFactory(slug="bold", name="Bold", order=1)
    return SlideTemplateFactory(slug="warm", name="Warm", description="Warm editorial pages")


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/signin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_sign_up_and_launch_a_deck_from_a_pasted_outline(
    live_server, server_lock, browser_page, settings
):
    settings.SIGNUP_CREDITS = 20
    settings.CREDIT_COSTS = {**settings.CREDIT_COSTS, "deck_page": 1}
    page = browser_page
    page.goto(f"{live_server.url}/signup/")
    page.fill("#id_username", "ada")
    page.fill("#id_email", "ada@example.com")
    page.fill("#id_password", "a-long-Passphrase-42")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    expect(page.locator(".balance")).to_contain_text("20 credits")

    with page.expect_navigation():
        page.click("nav >> text=New deck")
    # The picker is radio buttons: the first is chosen, arrow keys move, a click on a card too.
    page.focus("input[name=template]:checked")
    page.keyboard.press("ArrowRight")
    assert page.eval_on_selector("input[name=template]:checked", "e => e.value") == "bold"
    page.locator(".template-card", has_text="Warm").click()
    page.fill("#id_outline", THREE_PAGES)
    expect(page.locator("#estimate")).to_contain_text("3 credits")
    expect(page.locator("#estimate")).to_contain_text("you have 20")
    with page.expect_navigation():
        page.click(".launch button")
    deck_id = DECK_URL.search(page.url).group(1)
    with server_lock:  # the deck page polls its batch meanwhile
        deck = Batch.objects.get(pk=deck_id)
    assert deck.owner.username == "ada"
    assert deck.template.slug == "warm"
    assert deck.outline == THREE_PAGES.strip()


def test_a_user_without_credits_sees_the_402_message(live_server, browser_page, settings):
    settings.CREDIT_COSTS = {**settings.CREDIT_COSTS, "deck_page": 1}
    user = UserFactory()
    page = browser_page
    sign_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/decks/new/")
    page.fill("#id_outline", THREE_PAGES)
    expect(page.locator("#estimate")).to_contain_text("Not enough credits")
    page.fill("#id_title", "Tiny")
    with page.expect_navigation():
        page.press("#id_title", "Enter")  # launches (the brief's "Draft" button comes first)
    alert = page.locator("#not-enough-credits")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("This needs 3 credits; you have 0.")
    assert page.input_value("#id_outline").strip() == THREE_PAGES.strip()
    assert not Batch.objects.exists()


def test_a_text_image_shows_up_live_and_in_the_gallery(
    live_server, server_lock, browser_page, settings
):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    user = UserFactory()
    page = browser_page
    sign_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/images/new/")
    expect(page.locator("#pictures")).to_be_hidden()  # text mode needs no pictures
    page.fill("#id_prompt", "A paper kite over a green field")
    with page.expect_navigation():
        page.click("text=Draw the image")
    with server_lock:  # the page polls its status meanwhile
        image = Batch.objects.get(kind="image", owner=user)
    assert page.url.endswith(f"/images/{image.pk}/")
    expect(page.locator("#image-status")).to_have_text("In progress")

    with server_lock:
        run_page(image.pages.get().pk)  # a worker draws it; the page learns it without a reload
    expect(page.locator("#image-status")).to_have_text("Done")
    expect(page.locator("#image-picture")).to_be_visible()
    assert "/media/signed/" in page.get_attribute("#image-picture", "src")

    page.goto(f"{live_server.url}/images/")
    tile = page.locator(".tile", has_text="A paper kite over a green field")
    expect(tile).to_be_visible()
    expect(tile.locator("img")).to_have_attribute("src", re.compile("/media/signed/"))


DROP_FILE = """(data) => {
  const transfer = new DataTransfer();
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  transfer.items.add(new File([bytes], "photo.png", { type: "image/png" }));
  return transfer;
}"""


def test_a_picture_dropped_on_the_form_starts_an_image(live_server, server_lock, browser_page):
    user = UserFactory()
    page = browser_page
    sign_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/images/new/")
    page.check("input[name=mode][value=image]")
    expect(page.locator("#pictures")).to_be_visible()
    photo = base64.b64encode(picture().read()).decode()
    transfer = page.evaluate_handle(DROP_FILE, photo)
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    expect(page.locator("#file-list")).to_contain_text("photo.png")
    page.fill("#id_prompt", "Make it autumn")
    with page.expect_navigation():
        page.click("text=Draw the image")
    with server_lock:
        image = Batch.objects.get(kind="image", owner=user)
    assert page.url.endswith(f"/images/{image.pk}/")
    assert len(image.reference_images) == 1


def test_the_screenshot_command_saves_the_pages_it_lists(tmp_path):
    out = tmp_path / "shots"
    env = isolated_env(tmp_path, SQLITE_PATH=str(tmp_path / "db.sqlite3"), OCR_ENABLED="0")
    saved = manage(env, "app_screenshots", "--out", str(out), "--pages", "signin,home")
    assert saved.splitlines() == [str(out / "signin-1280-en.png"), str(out / "home-1280-en.png")]
    for path in saved.splitlines():
        with Image.open(path) as shot:
            assert shot.size == (1280, 800)

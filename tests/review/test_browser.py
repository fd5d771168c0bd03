"""The review site in a real browser (Debian's headless Chromium): a keyboard-only session."""

import io
import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.db import connections
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from config.chromium import CHROMIUM, CHROMIUM_ARGS
from generation.models import Batch
from review.models import Assignment, Criterion, Evaluation
from tests.factories import RENDER_SCORES, UserFactory, make_review_items

PASSWORD = "pw-for-tests-only"  # UserFactory's
ITEM_URL = re.compile(r"/review/items/(\d+)/")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's Chromium at {CHROMIUM}"),
]


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    """A page of a fresh headless Chromium. Playwright's sync API runs an event loop in this
    thread, so the test's own ORM calls need DJANGO_ALLOW_ASYNC_UNSAFE."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.set_default_timeout(5000)
        yield page
        # While Playwright's loop runs, Django keys its connections to that loop: the test's
        # ORM calls used a connection of their own, which PostgreSQL would keep open (and
        # then refuse to drop the test database). Close it from the same context.
        connections.close_all()
        browser.close()


@pytest.fixture
def evaluator() -> User:
    """An evaluator and the render criteria, made here: an earlier transactional test may have
    flushed what the data migrations created."""
    for order, key in enumerate(RENDER_SCORES):
        Criterion.objects.get_or_create(
            step="render",
            key=key,
            active=True,
            defaults={
                "label": key.replace("_", " "),
                "description": "1 bad, 10 good",
                "order": order,
            },
        )
    user = UserFactory()
    user.groups.add(Group.objects.get_or_create(name="evaluators")[0])
    return user


def png() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (1536, 864), "#dfe7f2").save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="slide.png")


def item_pk(url: str) -> int:
    return int(ITEM_URL.search(url).group(1))


def scores_of(evaluation: Evaluation) -> dict[str, int]:
    return {score.criterion.key: score.value for score in evaluation.scores.all()}


def test_an_evaluator_reviews_with_the_keyboard_only(live_server, evaluator, browser_page):
    items = make_review_items(3)
    items[0].step_run.output_image.save("slide.png", png())
    Batch.objects.update(status="running")  # so that "regenerate" may re-run the page
    for batch in Batch.objects.all():  # drawn by an image model: regenerate takes free text
        Batch.objects.filter(pk=batch.pk).update(options={**batch.options, "provider": "gemini"})
    page = browser_page

    page.goto(f"{live_server.url}/review/")
    page.fill("#id_username", evaluator.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    with page.expect_navigation():
        page.click("text=Start reviewing all steps")

    # First item: Z zooms, M hides the metrics (open: below threshold), ? shows the keys.
    first = item_pk(page.url)
    page.keyboard.press("z")
    assert "zoomed" in page.get_attribute("#zoom", "class")
    page.keyboard.press("m")
    assert page.get_attribute("#metrics", "open") is None
    page.keyboard.press("?")
    assert page.is_visible("#keys")
    page.keyboard.press("Escape")
    assert not page.is_visible("#keys")

    # Every criterion by digit (0 = 10), focus moving on; accept; submit.
    page.keyboard.press("8")
    assert page.evaluate("document.activeElement.name") == "score_layout"
    for digit in "6790":
        page.keyboard.press(digit)
    assert page.evaluate("document.activeElement.name") == "verdict"
    page.keyboard.press("a")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    second = item_pk(page.url)
    assert second != first
    evaluation = Evaluation.objects.get(step_run__review_item__pk=first)
    assert evaluation.verdict == "accept"
    assert scores_of(evaluation) == dict(zip(RENDER_SCORES, [8, 6, 7, 9, 10], strict=True))

    # Second item: S skips it.
    with page.expect_navigation():
        page.keyboard.press("s")
    third = item_pk(page.url)
    assert Assignment.objects.get(item__pk=second, evaluator=evaluator).state == "skipped"
    assert third not in (first, second)

    # Third item: scores, then R and an instruction (its letters are not shortcuts there);
    # Ctrl+Enter submits from the text box.
    for digit in "55555":
        page.keyboard.press(digit)
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.name") == "instruction"
    page.keyboard.type("标题再大一些, make it as big as 2x")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert page.url == f"{live_server.url}/review/"
    assert "Nothing left to review for any step" in page.content()
    evaluation = Evaluation.objects.get(step_run__review_item__pk=third)
    assert (evaluation.verdict, evaluation.instruction) == (
        "regenerate",
        "标题再大一些, make it as big as 2x",
    )
    assert evaluation.seconds_spent >= 0
    assert {item.pk for item in items} == {first, second, third}

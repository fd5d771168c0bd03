"""Screenshots of the web app's main pages (`manage.py app_screenshots`): demo data in a
throw-away test database, a live server on a free port, Debian's Chromium through Playwright.

SHOTS is the one list of pages: add a `Shot` for a new page (its address from the demo data,
and what to do on it before the picture) and the command takes it too."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.db import connections
from django.test.testcases import LiveServerThread
from django.urls import reverse
from PIL import Image

from config.chromium import CHROMIUM, CHROMIUM_ARGS
from generation.models import Batch
from generation.services.batches import batch_create, batch_run
from generation.services.credits import credits_grant
from generation.services.images import image_create
from generation.tasks import run_page
from templates_app.models import SlideTemplate
from webapp.links import deck_url

HEIGHT = 800
DEMO_USER, DEMO_PASSWORD = "mei", "demo-Passphrase-2026"
SAMPLES = Path(settings.BASE_DIR) / "generation" / "samples"
DECK_OUTLINE = """# Remote Work Playbook
How distributed teams ship

## Foundations
### Why remote works
- Focus time: fewer interruptions
- Hiring: talent anywhere
- Costs: smaller offices
"""
ZH_OUTLINE = """# 课堂里的人工智能
给老师的一页指南

## 用法
### 三种用法
- 备课：生成练习题
- 上课：即时反馈
- 课后：个性化辅导
"""
IMAGE_PROMPTS = (
    "A lighthouse at dawn, calm sea",
    "山间小屋，清晨薄雾",
    "A paper kite over a green field",
)


@dataclass(frozen=True)
class Demo:
    """What the demo data made, for the pages' addresses."""

    decks: list[Batch]
    images: list[Batch]


@dataclass(frozen=True)
class Shot:
    name: str
    path: Callable[[Demo], str]
    signed_in: bool = True
    prepare: Callable[[object], None] | None = None  # given the Playwright page


def _fill_outline(page: object) -> None:
    page.fill("#id_outline", DECK_OUTLINE)
    page.locator("#estimate", has_text="$").wait_for()
    page.locator("h1").scroll_into_view_if_needed()


SHOTS: list[Shot] = [
    Shot("signin", lambda demo: "/signin/", signed_in=False),
    Shot("signup", lambda demo: "/signup/", signed_in=False),
    Shot("home", lambda demo: "/"),
    Shot("deck-new", lambda demo: "/decks/new/", prepare=_fill_outline),
    Shot("deck", lambda demo: deck_url(demo.decks[0].pk)),
    Shot("page", lambda demo: reverse("app:page", args=[demo.decks[0].pk, 3])),
    Shot("images", lambda demo: "/images/"),
    Shot("image-new", lambda demo: "/images/new/"),
    Shot("image", lambda demo: f"/images/{demo.images[0].pk}/"),
    Shot("credits", lambda demo: "/credits/"),
]


def demo_data() -> Demo:
    """The starter templates, a user with credits, two decks and three images, all drawn by
    the local provider."""
    call_command("load_starter_templates", stdout=io.StringIO())
    user = get_user_model().objects.create_user(
        username=DEMO_USER, email="mei@example.com", password=DEMO_PASSWORD
    )
    credits_grant(user=user, amount=60, reason="sign-up credits", key="demo:signup", by=None)
    templates = list(SlideTemplate.objects.active().order_by("order")[:2])
    decks = [
        batch_run(
            batch=batch_create(
                owner=user, payer=user, template=template, outline=outline, title=title
            )
        )
        for template, outline, title in zip(
            templates,
            (DECK_OUTLINE, ZH_OUTLINE),
            ("Remote Work Playbook", "课堂里的人工智能"),
            strict=True,
        )
    ]
    images = []
    for prompt in IMAGE_PROMPTS:
        image = image_create(owner=user, payer=user, prompt=prompt, enqueue=False)
        run_page(image.pages.get().pk)
        images.append(image)
    return Demo(decks=decks, images=images[::-1])


@contextmanager
def live_server() -> Iterator[str]:
    """This process's database served on a free loopback port, static files included."""
    shared = {}
    for connection in connections.all():
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            connection.inc_thread_sharing()
            shared[connection.alias] = connection
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, connections_override=shared, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.terminate()
        for connection in shared.values():
            connection.dec_thread_sharing()


def optimized_png(data: bytes) -> bytes:
    """A screenshot in 256 colours, compressed: a fifth of the size, the same to the eye."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return out.getvalue()


def take(
    *, base: str, demo: Demo, out: Path, widths: list[int], languages: list[str], shots: list[Shot]
) -> list[Path]:
    from playwright.sync_api import sync_playwright  # a dev dependency

    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        for language in languages:
            for width in widths:
                context = browser.new_context(viewport={"width": width, "height": HEIGHT})
                context.add_cookies(
                    [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}]
                )
                page = context.new_page()
                page.set_default_timeout(15000)
                signed_in = False
                for shot in sorted(shots, key=lambda s: s.signed_in):
                    if shot.signed_in and not signed_in:
                        _sign_in(page, base)
                        signed_in = True
                    page.goto(base + shot.path(demo))
                    if shot.prepare:
                        shot.prepare(page)
                    path = out / f"{shot.name}-{width}-{language}.png"
                    path.write_bytes(optimized_png(page.screenshot()))
                    saved.append(path)
                context.close()
        browser.close()
    return saved


def _sign_in(page: object, base: str) -> None:
    page.goto(base + "/signin/")
    page.fill("#id_username", DEMO_USER)
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")

"""The page limit (MAX_PAGES_PER_BATCH) is enforced: an outline over it is refused up front
(API, admin, CLI), and planning never creates more pages than the limit."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import Batch, BatchStatus, Page
from generation.planning.outline import parse_outline
from generation.providers import registry
from generation.providers.local import LocalProvider
from generation.services.batches import batch_plan
from tests.factories import SlideTemplateFactory, UserFactory, make_batch

pytestmark = pytest.mark.django_db

# The tester's outline: 1,000 page headings in 9 KB.
THOUSAND_PAGES = "# Huge\n" + "".join(f"### P{n}\n" for n in range(1000))
LIMIT_MESSAGE = "the limit is 60 (MAX_PAGES_PER_BATCH)"


def outline_of(pages: int) -> str:
    """An outline of exactly `pages` slides: a cover, pages - 2 content pages, the ending."""
    return "# Deck\n\n" + "".join(f"## Page {n}\n- a point\n" for n in range(1, pages - 1))


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "batches"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def template():
    return SlideTemplateFactory(slug="business")


@pytest.fixture
def api():
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=UserFactory())
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_api_refuses_an_outline_over_the_page_limit_naming_the_limit(api, template, settings):
    response = api.post(
        "/api/v1/batches/", {"outline": THOUSAND_PAGES, "template": "business"}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert "the outline makes 1002 slides" in error["message"]
    assert LIMIT_MESSAGE in error["message"]
    assert error["details"] == {"outline": [error["message"]]}
    assert not Batch.objects.exists()
    assert stored_files(settings) == []  # not even the template's copy


def test_an_outline_at_the_page_limit_is_accepted_and_one_over_is_not(template, settings):
    settings.NANODECK = {**settings.NANODECK, "MAX_PAGES_PER_BATCH": 5}

    batch = make_batch(outline=outline_of(5), template=template)
    with pytest.raises(Exception, match=r"makes 6 slides; the limit is 5") as refused:
        make_batch(outline=outline_of(6), template=template)

    assert refused.value.message.startswith("the outline makes 6 slides")
    assert batch_plan(batch=batch).pages.count() == 5


LONG_BULLET = (
    "Treat restores, not backups, as the product: a backup that has never been restored is a "
    "hope, and you find out on an ordinary Wednesday rather than during an outage. "
) * 18
# A bullet three slides long and a page of seven short points: six slides at the fewest
# (cover, "Long" and two continuation pages, "Many", the ending), seven with six items a page.
CONTINUED = f"# Deck\n\n## Long\n- {LONG_BULLET}\n## Many\n" + "".join(
    f"- point {n}\n" for n in range(7)
)


def test_continuation_pages_count_toward_the_limit_up_front(template, settings):
    settings.NANODECK = {**settings.NANODECK, "MAX_PAGES_PER_BATCH": 5}

    with pytest.raises(Exception, match=r"makes 6 slides; the limit is 5"):
        make_batch(outline=CONTINUED, template=template)


def test_an_outline_accepted_with_its_continuation_pages_is_planned_within_the_limit(
    template, settings
):
    """The first plan (six items a page) has seven slides, one over; the retry plans the
    fewest, the count the outline was accepted with."""
    settings.NANODECK = {**settings.NANODECK, "MAX_PAGES_PER_BATCH": 6}

    batch = batch_plan(batch=make_batch(outline=CONTINUED, template=template))

    assert batch.status == BatchStatus.RUNNING
    titles = list(batch.pages.order_by("index").values_list("title", flat=True))
    assert titles == ["Deck", "Long", "Long (cont.)", "Long (cont. 2)", "Many", "Thank you"]
    assert batch.total_pages == 6


def test_the_admin_add_form_refuses_an_outline_over_the_page_limit(admin_client, template):
    response = admin_client.post(
        "/admin/generation/batch/add/",
        {
            "outline": THOUSAND_PAGES,
            "template": template.pk,
            "size": "1536x864",
            "quality": "standard",
            "provider": "local",
        },
    )

    assert response.status_code == 200
    assert LIMIT_MESSAGE in response.content.decode()
    assert not Batch.objects.exists()


def test_the_admin_add_form_counts_the_ending_page(admin_client, template, settings):
    """The ending page is on by default: one slide over the limit with it is refused on the
    form, not by the save (a 500)."""
    settings.NANODECK = {**settings.NANODECK, "MAX_PAGES_PER_BATCH": 5}
    response = admin_client.post(
        "/admin/generation/batch/add/",
        {
            "outline": outline_of(6),
            "template": template.pk,
            "size": "1536x864",
            "quality": "standard",
            "provider": "local",
        },
    )

    assert response.status_code == 200
    assert "the outline makes 6 slides; the limit is 5" in response.content.decode()
    assert not Batch.objects.exists()


def test_generate_deck_refuses_an_outline_over_the_page_limit(template, tmp_path):
    outline = tmp_path / "huge.md"
    outline.write_text(THOUSAND_PAGES, encoding="utf-8")

    with pytest.raises(CommandError, match=r"makes 1002 slides; the limit is 60"):
        call_command(
            "generate_deck",
            str(outline),
            "--template=business",
            f"--out={tmp_path / 'deck.pptx'}",
            stdout=io.StringIO(),
        )

    assert not Batch.objects.exists()


class VerboseTextModel(LocalProvider):
    """A text model that turns a one-line brief into a 200-page outline."""

    name = "verbose"

    def structure_outline(self, text: str, *, params: dict) -> dict:
        return parse_outline(
            "# Everything\n" + "".join(f"### Topic {n}\n- point\n" for n in range(200))
        )


def test_planning_never_creates_more_pages_than_the_limit(monkeypatch, template):
    """A brief the local parser cannot count is planned by the text model: the plan is
    refused when it is over the limit, and the batch fails saying so."""
    monkeypatch.setitem(
        registry.PROVIDERS, "verbose", f"{__name__}.{VerboseTextModel.__qualname__}"
    )
    batch = make_batch(
        outline="A deck about everything", template=template, options={"text_provider": "verbose"}
    )

    batch = batch_plan(batch=batch)

    assert batch.status == BatchStatus.FAILED
    assert "the plan has 202 slides" in batch.error
    assert LIMIT_MESSAGE in batch.error
    assert not Page.objects.exists()

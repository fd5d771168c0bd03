"""A new deck: the template picker, the outline (typed, a file, drafted from a brief), the
options with the API's defaults and checks, the estimate, and the launch (402 when short)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from generation.models import Batch, CreditEntry
from generation.providers.pricing import image_cost
from tests.generation.credits import THREE_PAGES, give

pytestmark = pytest.mark.django_db

NEW, ESTIMATE = "/decks/new/", "/decks/new/estimate/"


def form(template, /, **changes) -> dict:
    return {
        "template": template.slug,
        "title": "",
        "outline": THREE_PAGES,
        "brief": "",
        "size": "1536x864",
        "language": "auto",
        "provider": "local",
        "model": "",
        "text_provider": "local",
        "quality": "standard",
        "delivery": "interactive",
        "ending": "on",
        "budget_usd": "",
        "action": "launch",
        **changes,
    }


@pytest.fixture
def priced(settings):
    settings.CREDIT_COSTS = {**settings.CREDIT_COSTS, "deck_page": 1}
    settings.CHARGE_STAFF = False


def test_the_form_shows_the_templates_with_their_palettes(signed_in, template):
    page = signed_in.get(NEW).content.decode()
    assert 'type="radio" name="template" value="warm" checked' in page
    assert "Warm editorial pages" in page
    assert "data:image/svg+xml," in page
    assert "Palette: #fbf7f0, #1f3a5f, #e07a24" in page
    assert '<option value="local" selected>local</option>' in page


def test_launching_stores_the_deck_and_goes_to_its_page(signed_in, user, template):
    response = signed_in.post(NEW, form(template, title="Tiny", language="en"))
    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/decks/{batch.pk}/"
    assert (batch.owner, batch.title, batch.template) == (user, "Tiny", template)
    assert batch.opts.language == "en"
    assert batch.opts.ending is True


def test_the_options_reach_the_batch(signed_in, template):
    signed_in.post(
        NEW,
        form(template, quality="hd", ending="", pause_after_plan="on", budget_usd="2.50"),
    )
    opts = Batch.objects.get().opts
    assert (opts.quality, opts.ending, opts.pause_after, opts.budget_usd) == (
        "hd",
        False,
        "plan",
        2.5,
    )


def test_an_outline_file_is_used_when_nothing_is_typed(signed_in, template):
    upload = SimpleUploadedFile("talk.md", THREE_PAGES.encode(), content_type="text/markdown")
    response = signed_in.post(NEW, form(template, outline="", outline_file=upload))
    assert response.status_code == 302
    assert Batch.objects.get().outline == THREE_PAGES.strip()


def test_line_ends_are_stored_as_in_a_file(signed_in, template):
    signed_in.post(NEW, form(template, outline=THREE_PAGES.replace("\n", "\r\n")))
    assert "\r" not in Batch.objects.get().outline


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("talk.pdf", b"%PDF-1.4", ".md or .txt"),
        ("talk.txt", "标题".encode("gbk"), "UTF-8"),
    ],
)
def test_a_wrong_outline_file_is_an_error(signed_in, template, name, content, words):
    upload = SimpleUploadedFile(name, content)
    response = signed_in.post(NEW, form(template, outline="", outline_file=upload))
    assert response.status_code == 400
    assert words in " ".join(response.context["form"].errors["outline_file"])
    assert not Batch.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"outline": ""}, "outline", "empty"),
        ({"template": "nope"}, "template", "valid choice"),
        ({"size": "10x10"}, "size", "valid choice"),
        ({"provider": "gemini"}, "provider", "valid choice"),
        ({"model": "no-such-model"}, "model", "valid choice"),
        ({"budget_usd": "-1"}, "budget_usd", "greater than or equal to 0"),
        ({"delivery": "batch"}, "delivery", "Batch API"),
        ({"text_provider": "latency"}, "text_provider", "valid choice"),
    ],
)
def test_bad_input_shows_form_errors_and_stores_nothing(signed_in, template, changes, field, words):
    response = signed_in.post(NEW, form(template, **changes))
    assert response.status_code == 400
    assert words in " ".join(response.context["form"].errors[field]), response.context[
        "form"
    ].errors
    assert not Batch.objects.exists()


def test_too_long_an_outline_is_an_error_on_the_outline(signed_in, template, settings):
    settings.NANODECK = {**settings.NANODECK, "MAX_OUTLINE_CHARS": 100}
    response = signed_in.post(NEW, form(template, outline="# T\n\n- " + "x" * 200))
    assert response.status_code == 400
    assert "limit is 100" in " ".join(response.context["form"].errors["outline"])


def test_not_enough_credits_is_a_clear_402_with_the_balance(signed_in, user, template, priced):
    give(user, 2)
    response = signed_in.post(NEW, form(template))
    assert response.status_code == 402
    page = response.content.decode()
    assert "Not enough credits" in page
    assert "This needs 3 credits; you have 2." in page
    assert not Batch.objects.exists()
    assert CreditEntry.objects.filter(kind="reserve").count() == 0


def test_enough_credits_are_reserved(signed_in, user, template, priced):
    give(user, 5)
    assert signed_in.post(NEW, form(template)).status_code == 302
    assert CreditEntry.objects.get(kind="reserve").amount == 3


def test_the_estimate_says_what_the_deck_costs_before_launching(signed_in, user, template, priced):
    give(user, 2)
    answer = signed_in.post(ESTIMATE, form(template)).json()
    assert answer == {"pages": 3, "credits": 3, "usd": 0.0, "balance": 2, "enough": False}
    assert not Batch.objects.exists()


def test_the_estimate_names_what_is_missing(signed_in, template):
    response = signed_in.post(ESTIMATE, form(template, outline=""))
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "the outline is empty"
    bad = signed_in.post(ESTIMATE, form(template, budget_usd="-3"))
    assert bad.status_code == 400
    assert "greater than or equal to 0" in bad.json()["error"]


def test_drafting_needs_a_brief(signed_in, template):
    response = signed_in.post(NEW, form(template, action="draft", outline=""))
    assert response.status_code == 400
    assert response.context["form"].errors["brief"]


def test_drafting_with_the_local_provider_says_it_writes_no_outline(signed_in, template):
    response = signed_in.post(
        NEW, form(template, action="draft", outline="", brief="A talk on remote work")
    )
    assert response.status_code == 400
    assert "text model" in " ".join(response.context["form"].errors["text_provider"])
    assert not Batch.objects.exists()


def test_deck_creation_is_throttled_as_in_the_api(signed_in, template, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "batch_create": "1/hour"}
    assert signed_in.post(NEW, form(template)).status_code == 302
    response = signed_in.post(NEW, form(template))
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert Batch.objects.count() == 1


def test_the_estimate_prices_an_image_models_slides_in_dollars(signed_in, template, settings):
    # Configured, never called: the estimate reads the price table.
    settings.PROVIDER_SETTINGS = {
        "gemini": {
            "api_key": "test-key",
            "base_url": "http://127.0.0.1:9",
            "image_model": "gemini-3-pro-image",
            "text_model": "gemini-3.8-flash",
        }
    }
    one = image_cost(model="gemini-3-pro-image", image_size="1K", input_images=1)
    answer = signed_in.post(ESTIMATE, form(template, provider="gemini")).json()
    assert answer["usd"] == pytest.approx(3 * one)
    hd = signed_in.post(ESTIMATE, form(template, provider="gemini", quality="hd")).json()
    two_k = image_cost(model="gemini-3-pro-image", image_size="2K", input_images=1)
    assert hd["usd"] == pytest.approx(3 * two_k)
    batch = signed_in.post(ESTIMATE, form(template, provider="gemini", delivery="batch")).json()
    assert batch["usd"] == pytest.approx(3 * one / 2, rel=0.01)

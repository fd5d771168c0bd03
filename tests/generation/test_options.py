"""A batch's options: one type checks them, the batch stores its JSON and reads it back typed."""

import pytest

from generation.admin.batches import BatchCreateForm
from generation.api.batch_input_serializers import BatchOptionsSerializer
from generation.options import LANGUAGES, QUALITIES, SIZES, BatchOptions
from tests.factories import make_batch

pytestmark = pytest.mark.django_db


def test_the_stored_options_read_back_as_they_were_given():
    stored = BatchOptions.parse(
        {"size": "1024x768", "quality": "hd", "language": "zh", "fresh": True, "budget_usd": 2}
    ).as_json()

    assert stored == {
        "size": "1024x768",
        "quality": "hd",
        "language": "zh",
        "provider": "local",
        "text_provider": "local",
        "fresh": True,
        "budget_usd": 2.0,
    }
    assert BatchOptions.from_stored(stored).as_json() == stored


def test_a_batch_reads_its_options_even_after_its_provider_is_gone(settings):
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "gemini": {**settings.PROVIDER_SETTINGS["gemini"], "api_key": "test-key-123"},
    }
    batch = make_batch(options={"provider": "gemini", "budget_usd": 1.5})
    settings.PROVIDER_SETTINGS = {
        **settings.PROVIDER_SETTINGS,
        "gemini": {**settings.PROVIDER_SETTINGS["gemini"], "api_key": ""},
    }

    assert (batch.opts.provider, batch.opts.budget_usd, batch.size) == ("gemini", 1.5, (1536, 864))


def test_the_api_schema_and_the_admin_form_offer_the_same_choices():
    fields = BatchOptionsSerializer().fields
    form = BatchCreateForm()

    assert list(fields["size"].choices) == list(SIZES)
    assert list(fields["quality"].choices) == list(QUALITIES)
    assert list(fields["language"].choices) == list(LANGUAGES)
    assert [value for value, _ in form.fields["size"].choices] == list(SIZES)
    assert [value for value, _ in form.fields["quality"].choices] == list(QUALITIES)

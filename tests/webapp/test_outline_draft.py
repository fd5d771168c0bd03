"""The new deck's "Draft an outline": the brief goes to the chosen text model (here Gemini's
wire format on a loopback server) and its outline comes back in the form to edit; a model
that refuses is an error on the form. Nothing is stored either way."""

import json

import pytest

from generation.models import Batch
from tests.generation.providers.conftest import gemini_settings, server  # noqa: F401
from tests.webapp.test_new_deck import NEW, form

pytestmark = pytest.mark.django_db

DRAFT = "# 潮汐 Tides\n\n## 成因\n\n### 月球的引力\n- 引力拉起海水\n- 一天两次涨潮\n"


@pytest.fixture
def gemini(server, settings):  # noqa: F811
    settings.PROVIDER_SETTINGS = {"gemini": gemini_settings(server)}
    settings.PROVIDER_TIMEOUT_SECONDS = 2
    settings.NANODECK = {**settings.NANODECK, "TRANSIENT_BACKOFF": [0.0]}
    return server


def answer(text: str) -> tuple[int, dict, dict]:
    candidate = {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
    return 200, {}, {"candidates": [candidate]}


def draft(client, template, **changes):
    body = form(template, action="draft", outline="", text_provider="gemini", **changes)
    return client.post(NEW, body)


def test_a_brief_becomes_an_outline_to_edit(signed_in, template, gemini):
    gemini.script(answer(json.dumps({"outline": DRAFT}, ensure_ascii=False)))
    response = draft(signed_in, template, brief="潮汐，给十岁的孩子讲", language="zh")
    assert response.status_code == 200
    assert response.context["form"]["outline"].value() == DRAFT
    page = response.content.decode()
    assert "was drafted from your brief" in page
    assert "月球的引力" in page
    assert "潮汐，给十岁的孩子讲" in gemini.received[0].json()["contents"][0]["parts"][0]["text"]
    assert not Batch.objects.exists()


def test_a_model_that_gives_nothing_usable_is_an_error_on_the_form(signed_in, template, gemini):
    gemini.script(*[answer("I would rather not.")] * 3)
    response = draft(signed_in, template, brief="Tides for children")
    assert response.status_code == 502
    assert "gemini:" in " ".join(response.context["form"].errors["text_provider"])
    assert not Batch.objects.exists()


def test_drafting_is_throttled_as_in_the_api(signed_in, template, gemini, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "outline_draft": "1/hour"}
    gemini.script(answer(json.dumps({"outline": DRAFT}, ensure_ascii=False)))
    assert draft(signed_in, template, brief="Tides").status_code == 200
    assert draft(signed_in, template, brief="Tides").status_code == 429

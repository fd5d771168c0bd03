"""POST /api/v1/outlines/: a text model drafts a deck's outline from a brief, over real HTTP to
loopback servers speaking Gemini's and OpenAI's wire formats; the local provider writes none."""

import json

import pytest
from rest_framework.test import APIClient

from generation.planning.outline import parse_outline
from tests.generation.providers.conftest import API_KEY, gemini_settings

pytestmark = pytest.mark.django_db

DRAFT = (
    "# 潮汐 Tides\n\n## 成因\n\n### 月球的引力\n- 引力拉起海水\n- 一天两次涨潮\n\n"
    "### The sun's part\n- Spring tides\n- Neap tides\n"
)


@pytest.fixture
def remote(server, settings):
    settings.PROVIDER_SETTINGS = {
        "gemini": gemini_settings(server),
        "openai": {
            "api_key": API_KEY,
            "base_url": server.url,
            "image_model": "gpt-image-1",
            "text_model": "gpt-4o-mini",
        },
    }
    settings.PROVIDER_TIMEOUT_SECONDS = 2
    settings.NANODECK = {**settings.NANODECK, "TRANSIENT_BACKOFF": [0.0]}
    return server


def gemini_text(text: str) -> tuple[int, dict, dict]:
    candidate = {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
    return 200, {}, {"candidates": [candidate]}


def openai_text(text: str) -> tuple[int, dict, dict]:
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": text},
        "finish_reason": "stop",
    }
    return 200, {}, {"choices": [choice], "usage": {"total_tokens": 42}}


def draft(api, **body):
    return api.post("/api/v1/outlines/", body, format="json")


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_gemini_drafts_an_outline_the_outline_step_can_read(api, remote):
    remote.script(gemini_text(json.dumps({"outline": DRAFT}, ensure_ascii=False)))

    response = draft(
        api, brief="潮汐，给十岁的孩子讲", language="zh", pages=6, text_provider="gemini"
    )

    assert response.status_code == 200
    outline = response.json()["outline"]
    assert outline == DRAFT
    assert parse_outline(outline)["title"] == "潮汐 Tides"
    sent = remote.received[0]
    assert sent.path.endswith("/models/gemini-3.8-flash:generateContent")
    prompt = sent.json()["contents"][0]["parts"][0]["text"]
    assert "潮汐，给十岁的孩子讲" in prompt
    assert "Simplified Chinese, with about 6 slides" in prompt


def test_openai_drafts_in_the_briefs_own_language_by_default(api, remote):
    remote.script(openai_text(json.dumps({"outline": DRAFT})))

    response = draft(api, brief="Tides, for a class of ten-year-olds", text_provider="openai")

    assert response.status_code == 200
    sent = remote.received[0]
    assert sent.path.endswith("/chat/completions")
    prompt = json.dumps(sent.json(), ensure_ascii=False)
    assert "Write the outline in English." in prompt


def test_an_answer_the_outline_parser_cannot_read_is_asked_for_again(api, remote):
    remote.script(
        gemini_text(json.dumps({"outline": "Tides are nice."})),
        gemini_text(json.dumps({"outline": DRAFT})),
    )

    response = draft(api, brief="Tides", text_provider="gemini")

    assert response.status_code == 200
    retry = remote.received[1].json()["contents"][0]["parts"][0]["text"]
    assert "the outline cannot be used" in retry


def test_three_unusable_answers_are_a_502_quoting_the_problem(api, remote):
    remote.script(*[gemini_text("not json")] * 3)

    error = error_of(draft(api, brief="Tides", text_provider="gemini"), 502)

    assert error["code"] == "provider_error"
    assert "gave no usable outline draft in 3 tries" in error["message"]


def test_a_provider_that_is_down_is_a_503_to_try_again(api, remote):
    remote.script(
        *[(503, {}, {"error": {"code": 503, "status": "UNAVAILABLE", "message": "busy"}})] * 3
    )

    response = draft(api, brief="Tides", text_provider="gemini")

    assert error_of(response, 503)["code"] == "provider_unavailable"
    assert response["Retry-After"]


def test_the_local_provider_says_a_text_model_is_needed(api):
    error = error_of(draft(api, brief="Tides, for a class of ten-year-olds"), 400)

    assert error["message"].startswith("turning a brief into an outline needs a text model")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "brief"),
        ({"brief": ""}, "brief"),
        ({"brief": "x" * 2001}, "brief"),
        ({"brief": "Tides", "language": "fr"}, "language"),
        ({"brief": "Tides", "pages": 0}, "pages"),
        ({"brief": "Tides", "pages": 10_000}, "pages"),
        ({"brief": "Tides", "pages": "many"}, "pages"),
        ({"brief": "Tides", "text_provider": ["gemini"]}, "text_provider"),
        ({"brief": "Tides", "text_provider": "nope"}, "text_provider"),
    ],
)
def test_bad_input_is_refused_naming_the_field(api, body, field):
    error = error_of(draft(api, **body), 400)

    assert list(error["details"]) == [field]


def test_anonymous_callers_are_refused(remote):
    assert (
        APIClient().post("/api/v1/outlines/", {"brief": "Tides"}, format="json").status_code == 401
    )


def test_drafts_are_throttled_per_user(api, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "outline_draft": "2/min"}

    statuses = [draft(api, brief="Tides").status_code for _ in range(3)]

    assert statuses == [400, 400, 429]

"""The Gemini provider's planning steps with its text model: page descriptions and outlines,
asked again when the answer is not what was asked for."""

import json

import pytest

from generation.planning.planner import compose_pages
from generation.providers.base import ErrorKind
from tests.generation.providers.conftest import API_KEY, raises
from tests.generation.providers.gemini_wire import TEXT_PATH, text_answer

PAGE = {
    "kind": "content",
    "title": "Why tides rise",
    "subtitle": "",
    "section": "Causes",
    "section_index": 1,
    "items": [{"title": "Gravity", "text": "The moon pulls the oceans.", "children": []}],
    "semanticFeatures": {"logicType": "classification", "contentType": "concept_explanation"},
    "language": "en",
}
DESCRIPTION = (
    "A content slide titled Why tides rise. The title sits top left in bold; below it one card "
    "names Gravity with the sentence The moon pulls the oceans. A diagram of the moon and the "
    "earth with a bulge of water fills the right half, with arrows for the pull."
)
OUTLINE = {
    "title": "Tides",
    "subtitle": "How the moon moves the sea",
    "language": "en",
    "sections": [
        {
            "title": "Causes",
            "items": [],
            "pages": [
                {
                    "title": "The moon's pull",
                    "items": [{"title": "Gravity", "text": "It pulls the sea.", "children": []}],
                }
            ],
        }
    ],
}


def test_it_describes_a_page_with_the_text_model(provider, server):
    server.script(text_answer(json.dumps({"description": DESCRIPTION})))

    text = provider.describe_page(
        PAGE, deck_title="Tides", params={"detail": 2, "instruction": "Use a bar chart."}
    )

    assert text == DESCRIPTION
    (sent,) = server.received
    assert sent.path == TEXT_PATH
    assert sent.headers["x-goog-api-key"] == API_KEY
    body = sent.json()
    assert body["generationConfig"] == {"responseMimeType": "application/json"}
    (part,) = body["contents"][0]["parts"]
    assert "Why tides rise" in part["text"]
    assert "Use a bar chart." in part["text"]
    assert '{"description": "..."}' in part["text"]


def test_a_description_in_invalid_json_is_asked_again(provider, server, caplog):
    server.script(
        text_answer('{"description": "cut off'),
        text_answer(json.dumps({"description": DESCRIPTION})),
    )

    text = provider.describe_page(PAGE, deck_title="Tides", params={})

    assert text == DESCRIPTION
    retry_prompt = server.received[1].json()["contents"][0]["parts"][0]["text"]
    assert "Your previous answer could not be used: not JSON" in retry_prompt
    assert "provider_invalid_answer provider=gemini what=page description try=1" in caplog.text


def test_a_description_with_markdown_is_asked_again(provider, server):
    server.script(
        text_answer(json.dumps({"description": f"## Slide\n**{DESCRIPTION}**"})),
        text_answer(json.dumps({"description": DESCRIPTION})),
    )

    assert provider.describe_page(PAGE, deck_title="Tides", params={}) == DESCRIPTION
    assert "contains Markdown" in server.received[1].json()["contents"][0]["parts"][0]["text"]


def test_three_invalid_descriptions_give_a_clear_error(provider, server, caplog):
    server.script(*[text_answer('["not", "an", "object"]')] * 3)

    error_ = raises(
        ErrorKind.INVALID_REQUEST,
        lambda: provider.describe_page(PAGE, deck_title="Tides", params={}),
        caplog,
    )

    assert error_.message == (
        "gemini's text model gave no usable page description in 3 tries: not a JSON object"
    )
    assert len(server.received) == 3


def test_it_structures_an_outline_with_the_text_model(provider, server):
    server.script(text_answer(json.dumps(OUTLINE)))

    outline = provider.structure_outline("Tides, for a class of ten-year-olds", params={})

    assert outline == {
        **OUTLINE,
        "headings": ["Tides", "Causes", "The moon's pull"],
    }
    prompt = server.received[0].json()["contents"][0]["parts"][0]["text"]
    assert "Tides, for a class of ten-year-olds" in prompt
    assert "previous attempt" not in prompt


def test_it_mentions_what_a_weak_outline_lacked(provider, server):
    server.script(text_answer(json.dumps(OUTLINE)))

    provider.structure_outline("Tides", params={"fix": ["no_title", "empty_pages"]})

    prompt = server.received[0].json()["contents"][0]["parts"][0]["text"]
    assert "The deck had no title" in prompt
    assert "Some pages had no items" in prompt


def test_an_invalid_outline_then_a_valid_one_is_retried(provider, server):
    server.script(
        text_answer(json.dumps({**OUTLINE, "sections": "Causes"})),
        text_answer(json.dumps(OUTLINE)),
    )

    outline = provider.structure_outline("Tides", params={})

    assert outline["title"] == "Tides"
    retry_prompt = server.received[1].json()["contents"][0]["parts"][0]["text"]
    assert '"sections" must be a non-empty list' in retry_prompt


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        ({**OUTLINE, "title": " "}, 'the outline: "title" must not be empty'),
        ({**OUTLINE, "sections": [{"title": "Causes", "pages": []}]}, "the outline has no pages"),
        (
            {**OUTLINE, "sections": [{"pages": [{"title": "P", "items": [{"text": 3}]}]}]},
            'section 1, page 1, item 1: "text" must be a string',
        ),
    ],
)
def test_three_invalid_outlines_give_a_clear_error(provider, server, caplog, broken, problem):
    server.script(*[text_answer(json.dumps(broken))] * 3)

    error_ = raises(
        ErrorKind.INVALID_REQUEST, lambda: provider.structure_outline("Tides", params={}), caplog
    )

    assert error_.message.endswith(f"in 3 tries: {problem}")


def test_a_blocked_text_answer_is_content_blocked(provider, server, caplog):
    server.script((200, {}, {"candidates": [{"finishReason": "SAFETY"}]}))

    raises(
        ErrorKind.CONTENT_BLOCKED,
        lambda: provider.describe_page(PAGE, deck_title="Tides", params={}),
        caplog,
    )
    assert len(server.received) == 1


def test_planning_pages_needs_no_model_call(provider, server):
    outline = {**OUTLINE, "headings": ["Tides", "Causes", "The moon's pull"]}

    pages = provider.plan_pages(outline, params={"max_items_per_page": 4})

    assert pages == compose_pages(outline, max_items_per_page=4)

"""Deck composition through the API (issue 13, part 5): options.language decides the words the
deck adds itself (contents title, section labels, the ending page), options.ending (default on)
closes the deck with a page of thanks listing its sections; bad values are refused with a 400
and nothing stored. The remote text model's side is in providers/test_deck_language.py."""

from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import Batch, BatchStatus
from generation.services.batches import batch_run
from tests.factories import SlideTemplateFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

BATCHES = "/api/v1/batches/"
EN = "# Quarterly Review\n\n## Results\n### Revenue\n- Up 20%\n\n## Next steps\n### Plans\n- Expand\n"
ZH = "# 季度回顾\n\n## 业绩\n### 收入\n- 增长20%\n\n## 下一步\n### 计划\n- 扩大市场\n"


@pytest.fixture
def api():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    return client


@pytest.fixture
def template():
    return SlideTemplateFactory(slug="business")


def create(api, outline: str, **options):
    return api.post(
        BATCHES, {"outline": outline, "template": "business", "options": options}, format="json"
    )


def run(response) -> Batch:
    assert response.status_code == 201, response.content
    return batch_run(batch=Batch.objects.get(pk=response.json()["id"]))


def plans(api, batch: Batch) -> list[dict]:
    body = api.get(f"{BATCHES}{batch.pk}/").json()
    return [batch.pages.get(index=page["index"]).plan for page in body["pages"]]


def test_an_english_deck_ends_with_a_thank_you_page_listing_its_sections(api, template):
    batch = run(create(api, EN))

    pages = plans(api, batch)
    assert batch.status == BatchStatus.COMPLETED
    assert [page["kind"] for page in pages] == [
        "cover",
        "contents",
        "transition",
        "content",
        "transition",
        "content",
        "ending",
    ]
    ending = pages[-1]
    assert (ending["title"], ending["subtitle"]) == ("Thank you", "Results · Next steps")
    assert batch.pages.get(kind="ending").image  # drawn like every other page


def test_a_chinese_deck_ends_with_thanks_in_chinese(api, template):
    batch = run(create(api, ZH))

    ending = plans(api, batch)[-1]
    assert (ending["kind"], ending["title"], ending["subtitle"]) == (
        "ending",
        "谢谢",
        "业绩 · 下一步",
    )


def test_language_en_puts_english_words_on_a_chinese_outline(api, template):
    """The local text provider keeps the outline's own words; what the deck adds is English,
    and the pages carry the deck's language for the steps after planning."""
    batch = run(
        create(api, "# 季度回顾\n\n## 业绩\n\n## 下一步\n### 计划\n- 扩大市场\n", language="en")
    )

    pages = plans(api, batch)
    assert [page["title"] for page in pages] == [
        "季度回顾",
        "Contents",
        "业绩",
        "下一步",
        "计划",
        "Thank you",
    ]
    assert [pages[2]["kind"], pages[2]["subtitle"], pages[3]["subtitle"]] == [
        "transition",
        "Part 1",
        "Part 2",
    ]
    assert {page["language"] for page in pages} == {"en"}


def test_language_zh_puts_chinese_words_on_an_english_outline(api, template):
    batch = run(
        create(api, "# Review\n\n## Results\n\n## Next\n### Plans\n- Expand\n", language="zh")
    )

    pages = plans(api, batch)
    assert [page["title"] for page in pages] == [
        "Review",
        "目录",
        "Results",
        "Next",
        "Plans",
        "谢谢",
    ]
    assert [pages[2]["subtitle"], pages[3]["subtitle"]] == ["第一部分", "第二部分"]
    assert {page["language"] for page in pages} == {"zh"}


def test_language_auto_follows_the_outline(api, template):
    batch = run(create(api, ZH, language="auto"))

    assert plans(api, batch)[1]["title"] == "目录"


def test_ending_false_plans_no_ending_page_and_is_shown_in_the_options(api, template):
    response = create(api, EN, ending=False)
    batch = run(response)

    assert response.json()["options"]["ending"] is False
    assert [page["kind"] for page in plans(api, batch)][-1] == "content"


def test_the_ending_is_on_by_default_and_not_spelled_out_in_the_options(api, template):
    response = create(api, EN)

    assert "ending" not in response.json()["options"]
    assert run(response).pages.filter(kind="ending").count() == 1


def test_an_outline_without_sections_ends_with_its_title(api, template):
    batch = run(create(api, "# Launch plan\n\n### Goals\n- Ship\n"))

    ending = plans(api, batch)[-1]
    assert (ending["title"], ending["subtitle"]) == ("Thank you", "Launch plan")


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"ending": 1}, "ending", "ending must be true or false"),
        ({"ending": "false"}, "ending", "ending must be true or false"),
        ({"ending": None, "fresh": 0}, "fresh", "fresh must be true or false"),
        ({"language": "fr"}, "language", "language must be one of auto, zh, en"),
        ({"language": "ZH"}, "language", "language must be one of auto, zh, en"),
        ({"language": ["zh"]}, "language", "language must be a string"),
        ({"endings": False}, "options", "unknown option(s): endings"),
    ],
)
def test_a_bad_language_or_ending_is_refused_and_nothing_is_stored(
    api, template, settings, options, field, message
):
    response = create(api, EN, **options)

    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["message"]
    assert field in error["details"]
    assert not Batch.objects.exists()
    assert not (Path(settings.MEDIA_ROOT) / "batches").exists()

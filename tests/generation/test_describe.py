import re
from pathlib import Path

import pytest

from generation.planning.describe import check_description, describe_page
from generation.planning.outline import parse_outline
from generation.planning.planner import compose_pages

SAMPLES = Path(__file__).resolve().parents[2] / "generation" / "samples"
SAMPLE_NAMES = ["ai-classroom-zh.md", "remote-work-en.md"]


def _deck(name: str) -> tuple[str, list[dict]]:
    outline = parse_outline((SAMPLES / name).read_text(encoding="utf-8"))
    return outline["title"], compose_pages(outline)


def _all_pages() -> list:
    return [
        pytest.param(deck_title, page, id=page["title"])
        for name in SAMPLE_NAMES
        for deck_title, pages in [_deck(name)]
        for page in pages
    ]


def _content_page(**overrides: object) -> dict:
    page = {
        "kind": "content",
        "title": "Onboarding in five steps",
        "subtitle": "",
        "section": "Making it work",
        "section_index": 2,
        "items": [
            {"title": "Step 1", "text": "Ship the laptop", "children": []},
            {"title": "Step 2", "text": "Pair with a buddy", "children": []},
        ],
        "semanticFeatures": {"logicType": "sequential", "contentType": "concept_explanation"},
        "language": "en",
    }
    page.update(overrides)
    return page


@pytest.mark.parametrize(("deck_title", "page"), _all_pages())
def test_every_sample_page_gets_a_clean_description_of_200_to_400_characters(deck_title, page):
    text = describe_page(page, deck_title=deck_title)

    score, metrics, hints = check_description(text, page)
    assert 200 <= len(text) <= 400
    assert page["title"] in text
    assert metrics["markdown_left"] == []
    assert (score, hints) == (10.0, [])


@pytest.mark.parametrize("detail", [1, 2, 3])
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_detail_level_stays_within_the_limits(name, detail):
    deck_title, pages = _deck(name)

    for page in pages:
        text = describe_page(page, deck_title=deck_title, detail=detail)
        assert check_description(text, page)[2] == []


def test_higher_detail_gives_longer_or_equal_text():
    deck_title, pages = _deck("ai-classroom-zh.md")

    for page in pages:
        lengths = [len(describe_page(page, deck_title=deck_title, detail=d)) for d in (1, 2, 3)]
        assert lengths == sorted(lengths)
    assert any(
        len(describe_page(page, deck_title=deck_title, detail=3))
        > len(describe_page(page, deck_title=deck_title, detail=1))
        for page in pages
    )


def test_description_is_deterministic():
    page = _content_page()

    assert describe_page(page, deck_title="Remote") == describe_page(page, deck_title="Remote")


def test_chinese_page_is_described_in_chinese_with_its_items_and_layout():
    deck_title, pages = _deck("ai-classroom-zh.md")
    page = next(p for p in pages if p["title"] == "传统课堂与智能课堂对比")

    text = describe_page(page, deck_title=deck_title)

    assert "《人工智能走进课堂》" in text
    assert "教学节奏" in text
    assert "两栏对比" in text
    assert not re.search(r"[A-Za-z]{4,}", text)


@pytest.mark.parametrize(
    ("logic", "phrase"),
    [
        ("sequential", "numbered steps"),
        ("comparison", "two-column"),
        ("problem_solution", "solutions on the right"),
        ("hierarchical", "hierarchy tree"),
        ("classification", "grid of 2 equal cards"),
    ],
)
def test_layout_follows_the_logic_type(logic, phrase):
    features = {"logicType": logic, "contentType": "concept_explanation"}

    text = describe_page(_content_page(semanticFeatures=features), deck_title="Remote")

    assert phrase in text


def test_cover_transition_and_contents_pages_are_described_by_their_role():
    deck_title, pages = _deck("remote-work-en.md")
    by_kind = {page["kind"]: describe_page(page, deck_title=deck_title) for page in pages[::-1]}

    assert "subtitle “A practical playbook for distributed teams”" in by_kind["cover"]
    assert "transition page opens Part 1 of" in by_kind["transition"]
    assert "“Why remote work”; “Making it work”; “Challenges and fixes”" in by_kind["contents"]


def test_sub_points_are_mentioned_for_items_with_children():
    deck_title, pages = _deck("ai-classroom-zh.md")
    page = next(p for p in pages if p["title"] == "智能课堂的技术架构")

    text = describe_page(page, deck_title=deck_title, detail=3)

    assert "“结构化的成绩数据”" in text


def test_markdown_in_the_page_does_not_reach_the_description():
    page = _content_page(
        title="**Onboarding** in `five` steps",
        items=[{"title": "# Step 1", "text": "see [docs](https://x.y) __now__", "children": []}],
    )

    text = describe_page(page, deck_title="## Remote")

    assert check_description(text, page)[1]["markdown_left"] == []
    assert "Onboarding in five steps" in text


def test_many_long_items_are_shortened_to_fit():
    items = [{"title": f"Point {n}", "text": "word " * 40, "children": []} for n in range(12)]

    text = describe_page(_content_page(items=items), deck_title="Remote")

    assert len(text) <= 400
    assert "Point 0" in text
    assert text.endswith(".")


def test_text_is_trimmed_at_a_sentence_boundary_to_max_chars():
    for max_chars in (250, 300, 350):
        text = describe_page(_content_page(), deck_title="Remote", detail=3, max_chars=max_chars)
        assert len(text) <= max_chars
        assert text.endswith(".")


def test_empty_deck_title_falls_back_to_the_page_title():
    page = _content_page(section="", language="zh", title="概述")

    text = describe_page(page, deck_title="")

    assert "《概述》" in text


# check_description


def test_check_description_flags_a_short_text():
    score, metrics, hints = check_description("Onboarding in five steps.", _content_page())

    assert hints == ["too_short"]
    assert metrics["length_ok"] is False
    assert score == 7.0


def test_check_description_flags_a_long_text():
    text = "Onboarding in five steps. " + "Very long. " * 50

    score, _, hints = check_description(text, _content_page())

    assert hints == ["too_long"]
    assert score == 8.0


def test_check_description_flags_a_missing_title():
    text = "A page. " * 30

    score, metrics, hints = check_description(text, _content_page())

    assert hints == ["title_missing"]
    assert metrics["title_present"] is False
    assert score == 7.0


def test_check_description_accepts_the_first_twelve_characters_of_a_long_title():
    page = _content_page(title="Onboarding in five steps for every new remote hire")
    text = "Onboarding i" + " and more words." * 15

    assert check_description(text, page)[1]["title_present"] is True


@pytest.mark.parametrize(
    ("snippet", "found"),
    [
        ("\n## Heading", "#"),
        (" **bold** ", "**"),
        (" __bold__ ", "__"),
        (" `code` ", "`"),
        ("\n- bullet", "- "),
        (" [link](https://x.y) ", "[x](y)"),
    ],
)
def test_check_description_flags_markdown_leftovers(snippet, found):
    text = "Onboarding in five steps. " + "Plain words here. " * 12 + snippet

    score, metrics, hints = check_description(text, _content_page())

    assert metrics["markdown_left"] == [found]
    assert hints == ["markdown_left"]
    assert score == 8.0


def test_check_description_does_not_mistake_hashes_inside_words_for_headings():
    text = "Onboarding in five steps with C# and issue #42. " * 5

    assert check_description(text, _content_page())[1]["markdown_left"] == []


def test_a_tiny_limit_still_names_the_page():
    text = describe_page(_content_page(), deck_title="Remote", max_chars=40)

    assert len(text) <= 40
    assert text.startswith("Content page “Onboarding")

from pathlib import Path

import pytest

from generation.planning.outline import parse_outline
from generation.planning.planner import check_plan, compose_pages, infer_semantics
from generation.slides import CONTENT_TYPES, LOGIC_TYPES, PAGE_KINDS

SAMPLES = Path(__file__).resolve().parents[2] / "generation" / "samples"


def _sample(name: str) -> dict:
    return parse_outline((SAMPLES / name).read_text(encoding="utf-8"))


def _items(*titles: str) -> list[dict]:
    return [{"title": title, "text": "", "children": []} for title in titles]


def _outline(sections: list[dict], *, language: str = "en", title: str = "Deck") -> dict:
    headings = [title]
    for section in sections:
        headings += [section["title"], *(page["title"] for page in section["pages"])]
    return {
        "title": title,
        "subtitle": "Sub",
        "language": language,
        "sections": sections,
        "headings": [heading for heading in headings if heading],
    }


def _section(title: str, *pages: tuple[str, int], items: int = 0) -> dict:
    return {
        "title": title,
        "pages": [
            {"title": name, "items": _items(*map(str, range(count)))} for name, count in pages
        ],
        "items": _items(*(f"direct {n}" for n in range(items))),
    }


# composition


def test_deck_starts_with_cover_then_contents_then_transition_and_content_pages():
    pages = compose_pages(_sample("remote-work-en.md"))

    kinds = [page["kind"] for page in pages]
    assert kinds[:4] == ["cover", "contents", "transition", "content"]
    assert pages[0]["title"] == "Remote Work That Works"
    assert pages[0]["subtitle"] == "A practical playbook for distributed teams"
    assert [item["title"] for item in pages[1]["items"]] == [
        "Why remote work",
        "Making it work",
        "Challenges and fixes",
    ]


def test_transition_pages_carry_a_number_label_and_section_index_per_language():
    english = [p for p in compose_pages(_sample("remote-work-en.md")) if p["kind"] == "transition"]
    chinese = [p for p in compose_pages(_sample("ai-classroom-zh.md")) if p["kind"] == "transition"]

    assert [(p["subtitle"], p["section_index"]) for p in english] == [
        ("Part 1", 1),
        ("Part 2", 2),
        ("Part 3", 3),
    ]
    assert [p["subtitle"] for p in chinese] == ["第一部分", "第二部分", "第三部分"]


def test_content_pages_know_their_section():
    pages = compose_pages(_sample("ai-classroom-zh.md"))

    page = next(p for p in pages if p["title"] == "智能课堂的技术架构")
    assert page["section"] == "把人工智能用进课堂"
    assert page["section_index"] == 2


def test_contents_page_only_with_two_or_more_titled_sections():
    one_section = compose_pages(_outline([_section("Only", ("A", 2), ("B", 2))]))
    untitled = compose_pages(_outline([_section("", ("A", 2), ("B", 2))]))

    assert "contents" not in [page["kind"] for page in one_section]
    assert [page["kind"] for page in untitled] == ["cover", "content", "content"]


def test_section_with_direct_items_becomes_a_content_page_without_transition():
    outline = _outline([_section("Intro", items=3), _section("Body", ("Detail", 2))])

    pages = compose_pages(outline)

    assert [(page["kind"], page["title"]) for page in pages] == [
        ("cover", "Deck"),
        ("contents", "Contents"),
        ("content", "Intro"),
        ("transition", "Body"),
        ("content", "Detail"),
    ]


def test_direct_items_of_an_untitled_section_make_an_overview_page():
    outline = parse_outline("数据素养\n- 会找数据\n- 会用数据\n")

    pages = compose_pages(outline)

    assert [(page["kind"], page["title"]) for page in pages] == [
        ("cover", "数据素养"),
        ("content", "概述"),
    ]


@pytest.mark.parametrize(("language", "continued"), [("en", "Long (cont.)"), ("zh", "Long（续）")])
def test_long_page_is_split_evenly_into_continuation_pages(language, continued):
    outline = _outline([_section("", ("Long", 8))], language=language)

    pages = compose_pages(outline, max_items_per_page=6)

    content = [page for page in pages if page["kind"] == "content"]
    assert [page["title"] for page in content] == ["Long", continued]
    assert [len(page["items"]) for page in content] == [4, 4]
    assert content[0]["semanticFeatures"] == content[1]["semanticFeatures"]


def test_third_continuation_page_is_numbered():
    pages = compose_pages(_outline([_section("", ("Long", 7))]), max_items_per_page=3)

    assert [page["title"] for page in pages[1:]] == ["Long", "Long (cont.)", "Long (cont. 2)"]


@pytest.mark.parametrize("sample", ["ai-classroom-zh.md", "remote-work-en.md"])
def test_every_page_of_the_samples_has_a_title_language_and_valid_shape(sample):
    outline = _sample(sample)

    pages = compose_pages(outline)

    for page in pages:
        assert page["title"]
        assert page["language"] == outline["language"]
        assert page["kind"] in PAGE_KINDS
        assert set(page) >= {"kind", "title", "subtitle", "section", "section_index", "items"}
        if page["kind"] == "content":
            assert page["semanticFeatures"]["logicType"] in LOGIC_TYPES
            assert page["semanticFeatures"]["contentType"] in CONTENT_TYPES


def test_chinese_sample_uses_every_logic_type():
    pages = compose_pages(_sample("ai-classroom-zh.md"))

    logic = {page["semanticFeatures"]["logicType"] for page in pages if page["kind"] == "content"}
    assert logic == set(LOGIC_TYPES)


def test_composing_does_not_change_the_outline():
    outline = _sample("remote-work-en.md")
    before = repr(outline)

    for page in compose_pages(outline, max_items_per_page=2):
        page["items"].clear()

    assert repr(outline) == before


# semantics


@pytest.mark.parametrize(
    ("title", "items", "language", "logic"),
    [
        ("传统课堂与智能课堂对比", ["统一进度 vs 按需调整", "教师讲授"], "zh", "comparison"),
        ("Office vs remote", ["Commute", "Focus"], "en", "comparison"),
        ("Pros and cons of hybrid work", ["Flexibility", "Coordination"], "en", "comparison"),
        ("引入AI工具的四个步骤", ["明确目标", "挑选工具", "试用"], "zh", "sequential"),
        ("Onboarding roadmap", ["Laptop", "Buddy", "Handbook"], "en", "sequential"),
        ("上手", ["首先注册账号", "然后创建班级", "最后布置作业"], "zh", "sequential"),
        (
            "Getting going",
            ["First, sign up", "Then invite the team", "Finally ship"],
            "en",
            "sequential",
        ),
        ("课堂应用中的常见问题", ["过度依赖", "隐私"], "zh", "problem_solution"),
        ("Common challenges", ["Isolation", "Time zones"], "en", "problem_solution"),
        ("智能课堂的技术架构", ["数据", "模型", "应用"], "zh", "hierarchical"),
        ("The collaboration stack", ["Chat", "Docs"], "en", "hierarchical"),
        ("教育人工智能的主要类型", ["辅导", "测评"], "zh", "classification"),
        ("Types of arrangements", ["Remote", "Hybrid"], "en", "classification"),
        ("Our values", ["Honesty", "Care", "Craft"], "en", "classification"),
    ],
)
def test_logic_type_is_inferred_from_typical_pages(title, items, language, logic):
    semantics = infer_semantics(title, _items(*items), language=language, position=3)

    assert semantics["logicType"] == logic


def test_items_with_children_suggest_a_hierarchy():
    items = _items("Core", "Edge")
    items[0]["children"] = ["part one", "part two"]

    semantics = infer_semantics("Our platform", items, language="en", position=2)

    assert semantics["logicType"] == "hierarchical"


def test_title_keywords_weigh_more_than_item_keywords():
    items = _items("Problem framing", "Data")

    semantics = infer_semantics("Comparison of tools", items, language="en", position=2)

    assert semantics["logicType"] == "comparison"


@pytest.mark.parametrize(
    ("title", "position", "content_type"),
    [
        ("Office versus remote", 0, "lesson_introduction"),
        ("课程概述", 4, "lesson_introduction"),
        ("What is remote work", 4, "lesson_introduction"),
        ("Office versus remote", 4, "comparison_analysis"),
        ("应对策略与解决方案", 4, "problem_discussion"),
        ("Key terms", 4, "concept_explanation"),
    ],
)
def test_content_type_follows_position_and_logic(title, position, content_type):
    semantics = infer_semantics(title, _items("a", "b"), language="en", position=position)

    assert semantics["contentType"] == content_type


# check_plan


def test_check_plan_passes_a_complete_plan():
    outline = _sample("ai-classroom-zh.md")

    score, metrics, hints = check_plan(outline, compose_pages(outline), max_pages=30)

    assert score == 10
    assert hints == []
    assert metrics["heading_coverage"] == 1.0
    assert metrics["pages_ok"] is True
    assert metrics["page_count"] == 12


def test_check_plan_accepts_continuation_titles_as_covering_the_heading():
    outline = _outline([_section("", ("Long", 9)), _section("", ("Short", 1))])

    score, metrics, _ = check_plan(
        outline, compose_pages(outline, max_items_per_page=4), max_pages=20
    )

    assert metrics["missing_headings"] == []
    assert score == 10


def test_check_plan_reports_missing_headings_with_a_proportional_deduction():
    outline = _sample("remote-work-en.md")
    pages = compose_pages(outline)
    dropped = [
        page for page in pages if page["title"] not in {"Common challenges", "Solutions that scale"}
    ]

    score, metrics, hints = check_plan(outline, dropped, max_pages=30)

    assert hints == ["missing_headings"]
    assert metrics["missing_headings"] == ["Common challenges", "Solutions that scale"]
    total = len(outline["headings"])
    assert metrics["heading_coverage"] == pytest.approx((total - 2) / total, abs=0.001)
    assert score == pytest.approx(10 - 10 * 2 / total, abs=0.05)


def test_check_plan_reports_duplicate_titles():
    outline = _outline([_section("A", ("Overview", 2)), _section("B", ("Overview", 2))])

    score, metrics, hints = check_plan(outline, compose_pages(outline), max_pages=20)

    assert "duplicate_titles" in hints
    assert metrics["duplicate_titles"] == ["Overview"]
    assert score <= 6.5


def test_check_plan_reports_too_many_and_too_few_pages():
    outline = _sample("remote-work-en.md")
    pages = compose_pages(outline)

    many_score, many_metrics, many_hints = check_plan(outline, pages, max_pages=5)
    few_score, _, few_hints = check_plan({"headings": []}, pages[:1], max_pages=5)

    assert "too_many_pages" in many_hints
    assert many_metrics["pages_ok"] is False
    assert many_score <= 4
    assert few_hints == ["too_few_pages"]
    assert few_score <= 3


# disambiguation


@pytest.mark.parametrize(
    ("language", "page", "sections"),
    [("en", "Overview", ("Basics", "Practice")), ("zh", "概述", ("第一部分", "第二部分"))],
)
def test_disambiguation_appends_the_section_name_to_repeated_titles(language, page, sections):
    outline = _outline(
        [_section(sections[0], (page, 2)), _section(sections[1], (page, 2))], language=language
    )

    pages = compose_pages(outline, disambiguate_titles=True)

    assert [p["title"] for p in pages if p["kind"] == "content"] == [
        f"{page} · {sections[0]}",
        f"{page} · {sections[1]}",
    ]
    score, metrics, _ = check_plan(outline, pages, max_pages=20)
    assert metrics["duplicate_titles"] == []
    assert metrics["missing_headings"] == []
    assert score == 10


def test_disambiguation_numbers_titles_the_section_name_cannot_separate():
    outline = _outline([_section("概述", ("概述", 2), ("概述", 2))], language="zh")

    pages = compose_pages(outline, disambiguate_titles=True)

    titles = [page["title"] for page in pages]
    assert len(titles) == len(set(titles))
    assert titles == ["Deck", "概述", "概述（2）", "概述（3）"]


def test_every_title_is_unique_after_disambiguation_even_with_continuations():
    outline = _outline(
        [_section("A", ("Overview", 8), ("Overview", 2)), _section("B", ("Overview", 2))]
    )

    pages = compose_pages(outline, max_items_per_page=4, disambiguate_titles=True)

    titles = [page["title"] for page in pages]
    assert len(titles) == len(set(titles))
    assert check_plan(outline, pages, max_pages=20)[2] == []

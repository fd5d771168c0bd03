"""What a deck's order makes of its sections, computed from the pages' plans alone."""

from generation.planning.plan_changes import sections_numbered


def page(kind: str, title: str, **fields) -> dict:
    return {"kind": kind, "title": title, "section": "", "section_index": 0, "items": [], **fields}


def test_a_section_opened_by_its_own_content_page_counts_in_the_numbering():
    plans = [
        page("cover", "Deck"),
        page("contents", "Contents"),
        page("content", "Basics", section="Basics", section_index=1, items=[{"title": "a"}]),
        page("transition", "Practice", section="Practice", section_index=2, subtitle="02"),
        page("content", "Basics (cont.)", section="Basics", section_index=1, continues=1),
    ]

    moved = sections_numbered([plans[0], plans[1], plans[3], plans[2], plans[4]])

    assert [p.get("section_index") for p in moved[2:4]] == [1, 2]
    assert moved[2]["subtitle"] == "Part 1"
    assert moved[4] == plans[4]  # a continuation page opens nothing
    assert [item["title"] for item in moved[1]["items"]] == ["Practice", "Basics"]


def test_continued_contents_pages_keep_their_share_and_the_last_takes_the_rest():
    sections = [page("transition", f"S{n}", language="zh") for n in range(1, 6)]
    first = page("contents", "目录", items=[{"title": "x"}] * 3)
    second = page("contents", "目录（续）", items=[{"title": "y"}] * 2)

    result = sections_numbered([first, second, *sections[:4]])

    assert [item["title"] for item in result[0]["items"]] == ["S1", "S2", "S3"]
    assert [item["title"] for item in result[1]["items"]] == ["S4"]
    assert [p["subtitle"] for p in result[2:]] == ["第一部分", "第二部分", "第三部分", "第四部分"]

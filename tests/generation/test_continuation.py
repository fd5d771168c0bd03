"""Continuation pages: items carried over in order, children with their parent, titles marked
"(cont.)" / "（续）", an item too long for a page cut between words, never text lost.

A measure counting characters stands in for the renderer here (the real one is tested in
test_fit.py): a page fits when its title and items hold at most CAPACITY characters.
"""

from generation.planning.continuation import UNFIT_MESSAGE, continued, split_page

CAPACITY = 100


def fits(plan: dict) -> bool:
    return _size(plan) <= CAPACITY


def _size(plan: dict) -> int:
    texts = [plan["title"]]
    for item in plan["items"]:
        texts += [item["title"], item["text"], *item["children"]]
    return sum(len(text) for text in texts)


def _item(text: str = "", title: str = "", children: tuple[str, ...] = ()) -> dict:
    return {"title": title, "text": text, "children": list(children)}


def _page(items: list[dict], title: str = "Lessons", language: str = "en") -> dict:
    return {"kind": "content", "title": title, "items": items, "language": language}


def _texts(pages: list[dict]) -> list[str]:
    return [t for p in pages for i in p["items"] for t in (i["title"], i["text"], *i["children"])]


def test_a_page_that_fits_is_left_alone():
    page = _page([_item("x" * 40), _item("y" * 40)])

    assert split_page(page, limit=6, language="en", fits=fits) == [page]


def test_an_over_full_page_is_split_in_order_under_cont_titles():
    items = [_item(f"{n}" * 30) for n in range(7)]

    pages = split_page(_page(items), limit=None, language="en", fits=fits)

    assert [page["title"] for page in pages] == [
        "Lessons",
        "Lessons (cont.)",
        "Lessons (cont. 2)",
    ]
    assert [item for page in pages for item in page["items"]] == items
    assert all(fits(page) for page in pages)
    assert [page.get("continues") for page in pages] == [None, 1, 2]


def test_chinese_continuation_pages_are_titled_xu():
    items = [_item("字" * 40) for _ in range(5)]

    pages = split_page(
        _page(items, title="经验", language="zh"), limit=None, language="zh", fits=fits
    )

    assert [page["title"] for page in pages] == ["经验", "经验（续）", "经验（续2）"]
    assert continued("经验", 0, "zh") == "经验"


def test_one_item_too_many_for_the_page_goes_on_a_continuation_page():
    """The smallest overflow: one character over the capacity moves the last item."""
    first, second = _item("a" * 40), _item("b" * (CAPACITY - len("Lessons") - 40 + 1))

    pages = split_page(_page([first, second]), limit=None, language="en", fits=fits)

    assert [page["items"] for page in pages] == [[first], [second]]


def test_an_item_keeps_its_children_on_its_page():
    parent = _item("parent", children=("c" * 30, "d" * 30))
    pages = split_page(_page([_item("x" * 40), parent]), limit=None, language="en", fits=fits)

    assert pages[1]["items"] == [parent]


def test_children_that_do_not_fit_with_their_parent_go_on_under_its_heading():
    parent = _item(title="Pools", children=tuple(f"{n}" * 40 for n in range(4)))

    pages = split_page(_page([parent]), limit=None, language="en", fits=fits)

    assert [page["items"][0]["title"] for page in pages] == ["Pools"] * len(pages)
    assert [c for page in pages for c in page["items"][0]["children"]] == parent["children"]
    assert all(fits(page) for page in pages)


def test_an_item_longer_than_a_page_is_cut_between_words_and_loses_none():
    words = [f"word{n:02d}" for n in range(40)]
    item = _item(" ".join(words))

    pages = split_page(_page([item]), limit=None, language="en", fits=fits)

    assert len(pages) > 2
    assert all(fits(page) for page in pages)
    assert " ".join(_texts(pages)).split() == words  # every word once, in order, none cut


def test_a_chinese_item_longer_than_a_page_is_cut_between_characters_not_before_punctuation():
    text = "显存碎片导致突发内存不足，" * 20

    pages = split_page(_page([_item(text)], title="故障"), limit=None, language="zh", fits=fits)

    pieces = _texts(pages)
    assert "".join(pieces) == text
    assert not any(piece.startswith("，") for piece in pieces)
    assert all(fits(page) for page in pages)


def test_a_page_whose_first_word_cannot_fit_is_marked_unfit_with_all_its_text():
    item = _item("x" * (CAPACITY + 1))  # one unbreakable word, one character too long

    pages = split_page(_page([item]), limit=None, language="en", fits=fits)

    assert pages[-1]["unfit"] == UNFIT_MESSAGE
    assert pages[-1]["items"] == [item]


def test_a_cover_that_does_not_fit_is_marked_unfit_not_split():
    cover = {"kind": "cover", "title": "T" * (CAPACITY + 1), "items": [], "language": "en"}

    assert split_page(cover, limit=6, language="en", fits=fits) == [
        {**cover, "unfit": UNFIT_MESSAGE}
    ]


def test_a_content_page_without_items_whose_title_cannot_fit_is_marked_unfit_not_dropped():
    page = _page([], title="T" * (CAPACITY + 1))

    assert split_page(page, limit=6, language="en", fits=fits) == [{**page, "unfit": UNFIT_MESSAGE}]


def test_the_item_limit_still_splits_evenly_without_a_measure():
    items = [_item(str(n)) for n in range(7)]

    pages = split_page(_page(items), limit=6, language="en")

    assert [len(page["items"]) for page in pages] == [4, 3]
    assert pages[1]["title"] == "Lessons (cont.)"


def test_children_never_go_on_without_any_of_their_untitled_item_text():
    """The text fills a page and its children do not fit beside it: its last sentence goes on
    with them rather than the children alone."""
    text = "One sentence here. " * 4 + "The last one."
    item = _item(text.strip(), children=("child one", "child two"))

    pages = split_page(_page([item]), limit=None, language="en", fits=fits)

    carried = pages[1]["items"][0]
    assert carried == _item("The last one.", children=("child one", "child two"))
    assert pages[0]["items"][0]["text"] + " " + carried["text"] == item["text"]

"""A page's items as the forms' text and back."""

from webapp.deck_forms import items_from_text, items_to_text

ITEMS = [
    {"title": "Focus time", "text": "fewer interruptions", "children": ["mornings", "no chat"]},
    {"title": "Hiring", "text": "", "children": []},
    {"title": "", "text": "only text", "children": []},
]


def test_items_go_to_text_and_come_back_unchanged():
    text = items_to_text(ITEMS)

    assert text.splitlines() == [
        "Focus time: fewer interruptions",
        "  - mornings",
        "  - no chat",
        "Hiring",
        ": only text",
    ]
    assert items_from_text(text) == ITEMS


def test_chinese_items_split_at_a_full_width_colon_and_blank_lines_are_skipped():
    text = "个性化学习：按学生的节奏\n\n- 即时反馈\n   课堂上就能看到"

    assert items_from_text(text) == [
        {"title": "个性化学习", "text": "按学生的节奏", "children": []},
        {"title": "即时反馈", "text": "", "children": ["课堂上就能看到"]},
    ]

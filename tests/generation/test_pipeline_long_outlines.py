"""Long real-world outlines (conference talks with long bullets, Chinese and English) through the
whole pipeline: no page has cut-off or missing text, and no page shows a label the outline never
had. Every planned text is compared with the text boxes the renderer drew."""

from collections import Counter
from pathlib import Path

import pytest

from generation.models import StepRun
from generation.planning.outline import parse_outline
from generation.services.batches import batch_run
from generation.slides import TextBox
from tests.factories import make_batch

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "generation" / "samples"


def _planned(plan: dict) -> list[str]:
    texts = [plan.get("title", ""), plan.get("subtitle", "")]
    for item in plan.get("items", []):
        texts += [item["title"], item["text"], *item["children"]]
    return [text for text in texts if text]


def _outline_chars(outline: dict) -> Counter:
    texts = []
    for section in outline["sections"]:
        for page in [section, *section["pages"]]:
            for item in page["items"]:
                texts += [item["title"], item["text"], *item["children"]]
    return Counter(char for char in "".join(texts) if not char.isspace())


def _drawn_boxes(page) -> tuple[list[TextBox], tuple[int, int, int, int]]:
    run = StepRun.objects.get(page=page, step="render", selected=True)
    boxes = [TextBox.from_dict(box) for box in run.output_data["boxes"]]
    return boxes, tuple(run.output_data["safe_box"])


def _cut_or_invented(page) -> list[str]:
    """What is wrong with the page as drawn: a planned text missing or with words lost, a box
    outside the safe box, a text the plan does not have."""
    boxes, (x0, y0, x1, y1) = _drawn_boxes(page)
    drawn = {box.text: box for box in boxes}
    problems = []
    for text in _planned(page.plan):
        box = drawn.get(text)
        if box is None or "".join(box.lines).replace(" ", "") != text.replace(" ", ""):
            problems.append(f"not drawn whole: {text[:40]}")
    for box in boxes:
        if box.x < x0 or box.y < y0 or box.x + box.w > x1 or box.y + box.h > y1:
            problems.append(f"outside the safe box: {box.text[:40]}")
        if box.text not in _planned(page.plan) and not box.text.isdigit():
            problems.append(f"not in the outline: {box.text}")
    return problems


@pytest.mark.parametrize(
    ("name", "suffix"), [("long-talk-en.md", " (cont.)"), ("long-talk-zh.md", "（续）")]
)
def test_a_long_talk_outline_becomes_a_deck_with_no_cut_missing_or_invented_text(
    settings, name, suffix
):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}  # the boxes are compared
    text = (SAMPLES / name).read_text(encoding="utf-8")

    batch = batch_run(batch=make_batch(outline=text))

    assert batch.status == "completed"
    pages = list(batch.pages.order_by("index"))
    assert batch.total_pages == batch.completed_pages == len(pages)
    assert any(page.title.endswith(suffix) for page in pages)
    assert {page.title: _cut_or_invented(page) for page in pages} == {
        page.title: [] for page in pages
    }
    shown = Counter(
        char
        for page in pages
        for box in _drawn_boxes(page)[0]
        for char in "".join(box.lines)
        if not char.isspace()
    )
    assert not _outline_chars(parse_outline(text)) - shown  # every character of every bullet


def test_a_title_too_long_for_any_slide_fails_planning_before_anything_is_drawn():
    title = "A title that goes on and on " * 40

    batch = batch_run(batch=make_batch(outline=f"# {title}\n## Point\n- short"))

    assert batch.status == "failed"
    assert batch.error.startswith("some text cannot fit on a slide: slide 1 (A title that")
    assert "does not fit on a slide at the smallest font size" in batch.error
    assert not batch.pages.exists()

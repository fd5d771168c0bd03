"""The real steps' adjust acts on what their assess found."""

import pytest

from generation.models import Page, StepPolicy, StepRun
from generation.pipeline.engine import Assessment, StepContext, run_step
from generation.pipeline.steps.common import load_theme
from generation.pipeline.steps.describe import DescribeStep
from generation.pipeline.steps.plan import PlanStep
from generation.pipeline.steps.render import RenderStep
from tests.factories import make_batch

pytestmark = pytest.mark.django_db

CROWDED = {
    "kind": "content",
    "title": "Everything we learned in a very long year of remote work, in one slide",
    "subtitle": "",
    "section": "Practice",
    "section_index": 1,
    "items": [
        {
            "title": f"Lesson {n}",
            "text": "We wrote far more than a slide can hold about this lesson, " * 3,
            "children": [],
        }
        for n in range(1, 9)
    ],
    "semanticFeatures": {"logicType": "classification", "contentType": "concept_explanation"},
    "language": "en",
}


def test_an_overflowing_page_is_retried_with_smaller_text():
    StepPolicy.objects.filter(step="render").update(threshold=8, max_attempts=3)
    batch = make_batch()
    page = Page.objects.create(batch=batch, index=1, kind="content", title="crowded", plan=CROWDED)
    ctx = StepContext(batch=batch, page=page, theme=load_theme(batch.template_snapshot))

    selected = run_step(RenderStep(), ctx)

    runs = list(StepRun.objects.filter(page=page, step="render").order_by("attempt"))
    assert "overflow" in runs[0].hints
    assert runs[0].score < 7
    assert len(runs) >= 2
    second = runs[1]
    assert second.adjustments["after_attempt"] == 1
    assert second.adjustments["changes"]
    assert second.params["font_scale"] < 1.0
    assert selected.score == max(run.score for run in runs)
    assert selected.metrics["overflow_boxes"] <= runs[0].metrics["overflow_boxes"]


def test_render_adjust_at_the_smallest_text_changes_the_layout_but_keeps_every_item():
    params = {"font_scale": 0.62, "layout": "auto", "text_contrast": "auto", "max_items": None}

    new = RenderStep().adjust(params, Assessment(score=4.0, hints=["overflow"]), attempt=2)

    assert new["layout"] == "bullets"
    assert new["max_items"] is None


@pytest.mark.ocr
def test_the_render_step_fails_an_image_showing_fewer_items_than_the_plan():
    batch = make_batch()
    plan = {**CROWDED, "items": CROWDED["items"][:4], "title": "Four lessons"}
    plan["items"] = [{**item, "text": "Short text"} for item in plan["items"]]
    page = Page.objects.create(batch=batch, index=1, kind="content", title="four", plan=plan)
    ctx = StepContext(batch=batch, page=page, theme=load_theme(batch.template_snapshot))
    step = RenderStep()

    full = step.assess(ctx, step.run(ctx, step.default_params(ctx)))
    fewer = step.assess(ctx, step.run(ctx, {**step.default_params(ctx), "max_items": 3}))

    assert "ocr_mismatch" not in full.hints
    assert "ocr_mismatch" in fewer.hints
    assert [row["expected"] for row in fewer.metrics["ocr_boxes"] if row["failed"]] == [
        "Lesson 4",
        "Short text",
    ]


def test_render_adjust_answers_low_contrast_with_a_scrim_and_maximum_contrast():
    params = {"font_scale": 1.0, "layout": "auto", "text_contrast": "auto", "max_items": None}

    new = RenderStep().adjust(params, Assessment(score=4.0, hints=["low_contrast"]), attempt=1)

    assert new["scrim"] == 1.0
    assert new["text_contrast"] == "max"


def test_render_adjust_makes_small_changes_above_5_and_large_ones_below():
    params = {"font_scale": 1.0, "layout": "auto", "text_contrast": "auto", "max_items": None}

    small = RenderStep().adjust(params, Assessment(score=6.0, hints=["overflow"]), attempt=1)
    large = RenderStep().adjust(params, Assessment(score=3.0, hints=["overflow"]), attempt=1)

    assert small["font_scale"] == 0.88
    assert large["font_scale"] == 0.76


def test_render_adjust_climbs_the_image_size_ladder_on_wrong_text_and_stops_at_the_top():
    params = {"font_scale": 1.0, "layout": "auto", "text_contrast": "auto", "max_items": None}
    wrong_text = Assessment(score=4.0, hints=["ocr_mismatch"])
    sizes = []
    for attempt in range(1, 4):
        params = RenderStep().adjust(params, wrong_text, attempt=attempt)
        sizes.append(params["image_size"])

    assert sizes == ["2K", "4K", "4K"]


def test_describe_adjust_adds_detail_when_too_short_and_removes_it_when_too_long():
    step = DescribeStep()
    params = {"detail": 2, "max_chars": 400}

    assert step.adjust(params, Assessment(score=6, hints=["too_short"]), 1)["detail"] == 3
    longer = step.adjust(params, Assessment(score=4, hints=["too_long"]), 1)
    assert (longer["detail"], longer["max_chars"]) == (1, 360)


def test_plan_adjust_disambiguates_duplicate_titles():
    new = PlanStep().adjust(
        {"max_items_per_page": 6, "disambiguate_titles": False},
        Assessment(score=6.5, hints=["duplicate_titles"]),
        1,
    )
    assert new["disambiguate_titles"] is True


def test_plan_adjust_lifts_the_item_limit_when_there_are_too_many_pages():
    """Only what fits splits a page then: the fewest slides, as counted when the outline was
    accepted."""
    new = PlanStep().adjust(
        {"max_items_per_page": 6, "disambiguate_titles": False, "slide_size": [1536, 864]},
        Assessment(score=4, hints=["too_many_pages"]),
        1,
    )

    assert new["max_items_per_page"] is None
    assert new["slide_size"] == [1536, 864]

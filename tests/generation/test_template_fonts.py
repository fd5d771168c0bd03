"""A template's fonts are the renderer's where installed (issue 13, part 5): titles in
fonts.title, the rest in fonts.body; a font that is not installed falls back to Noto Sans CJK
SC; the plan step measures what fits a slide in the same fonts."""

import logging

import pytest
from PIL import ImageChops

from generation.models import StepRun
from generation.render import fonts
from generation.render.renderer import render_slide
from generation.services.batches import batch_run
from generation.slides import Theme
from templates_app.models import SlideTemplate
from templates_app.starter import load_starter_templates
from tests.factories import make_batch

PALETTE = ["#ffffff", "#1f3a5f", "#e07a24", "#1b1b1b", "#6b7280"]
SERIF = {"title": "Noto Serif CJK SC Bold", "body": "Noto Serif CJK SC"}
PAGE = {
    "kind": "content",
    "title": "季度回顾 Quarterly review",
    "language": "zh",
    "items": [{"title": "收入增长", "text": "Revenue up 20% year on year", "children": []}],
}


def render(fonts_: dict | None):
    return render_slide(PAGE, Theme.from_palette(PALETTE, fonts=fonts_), (1536, 864))


def test_a_serif_template_draws_its_text_in_noto_serif():
    sans, serif = render(None), render(SERIF)

    assert fonts.installed_family("Noto Serif CJK SC Bold") == "Noto Serif CJK SC"
    assert fonts.font_face(True, "Noto Serif CJK SC").family == "Noto Serif CJK SC"
    assert [box.role for box in serif.boxes] == [box.role for box in sans.boxes]
    assert ImageChops.difference(sans.image, serif.image).getbbox()  # other glyphs drawn


def test_the_default_fonts_named_by_a_template_draw_what_no_fonts_draw():
    named = render({"title": "Noto Sans CJK SC Bold", "body": "Noto Sans CJK SC"})

    assert ImageChops.difference(named.image, render(None).image).getbbox() is None


def test_a_font_that_is_not_installed_falls_back_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger=fonts.__name__):
        missing = render({"title": "Nowhere Grotesk Bold", "body": "Nowhere Grotesk"})

    assert ImageChops.difference(missing.image, render(None).image).getbbox() is None
    assert "'Nowhere Grotesk Bold' is not installed" in caplog.text


@pytest.mark.django_db
def test_a_serif_starter_deck_is_planned_in_its_fonts_and_drawn(settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    load_starter_templates()
    template = SlideTemplate.objects.get(slug="elegant")
    assert template.fonts == SERIF

    batch = batch_run(batch=make_batch(template=template, options={"ending": False}))

    plan = StepRun.objects.get(batch=batch, step="plan", selected=True)
    assert plan.params["fonts"] == [SERIF["title"], SERIF["body"]]
    assert batch.status == "completed"


@pytest.mark.django_db
def test_eight_starter_templates_have_distinct_looks():
    load_starter_templates()

    templates = list(SlideTemplate.objects.all())
    assert len(templates) == 8
    assert len({tuple(t.palette) for t in templates}) == 8
    assert len({t.style for t in templates}) == 8
    assert {t.fonts["body"] for t in templates} == {"Noto Sans CJK SC", "Noto Serif CJK SC"}

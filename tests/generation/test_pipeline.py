"""The services that drive the pipeline: create, plan, run pages, derive the batch status."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageChops, ImageStat

from generation.errors import InvalidInput
from generation.models import Batch, PageStatus, StepRun
from generation.options import BatchOptions
from generation.pipeline.steps.common import load_theme
from generation.selectors import batch_progress
from generation.services.batches import batch_plan, batch_refresh, batch_run
from generation.services.page_actions import page_regenerate
from generation.services.pages import page_run
from tests.factories import SlideTemplateFactory, make_batch

pytestmark = pytest.mark.django_db


def test_a_batch_runs_to_completion_with_every_step_recorded():
    batch = batch_run(batch=make_batch())

    assert batch.status == "completed"
    assert batch.title == "Remote Work Playbook"
    assert batch.completed_pages == batch.total_pages == batch.pages.count() > 3
    batch_steps = StepRun.objects.filter(batch=batch, page__isnull=True, selected=True)
    assert set(batch_steps.values_list("step", flat=True)) == {"outline", "plan"}
    for page in batch.pages.all():
        assert page.status == PageStatus.COMPLETED
        assert 200 <= len(page.description) <= 400
        assert page.description in page.image_prompt
        assert page.image
        assert page.thumbnail


def test_a_finished_page_publishes_a_png_slide_and_a_300_px_png_thumbnail():
    batch = batch_run(batch=make_batch())
    page = batch.pages.order_by("index").first()
    render = StepRun.objects.get(page=page, step="render", selected=True)

    with page.image.open("rb") as handle:
        slide = Image.open(handle)
        slide.load()
    with page.thumbnail.open("rb") as handle:
        thumbnail = Image.open(handle)
        thumbnail.load()

    assert page.image.name == render.output_image.name
    assert (slide.format, slide.mode, slide.size) == ("PNG", "RGB", batch.size)
    assert (thumbnail.format, thumbnail.mode, thumbnail.size) == ("PNG", "RGB", (300, 169))
    # The thumbnail is the slide reduced, not another image (edges may differ by resampling).
    expected = slide.resize((300, 169), Image.Resampling.LANCZOS)
    assert max(ImageStat.Stat(ImageChops.difference(thumbnail, expected)).mean) < 2


def test_the_batch_keeps_its_template_snapshot_when_the_template_changes():
    template = SlideTemplateFactory(palette=["#ffffff", "#112233"])
    batch = make_batch(template=template)
    reference = batch.template_snapshot["reference_images"][0]["path"]
    before = default_storage.open(reference).read()

    template.palette = ["#000000", "#ffffff"]
    template.reference_image.save("other.png", ContentFile(b"not the same image"), save=True)
    template.delete()
    batch.refresh_from_db()

    assert batch.template_snapshot["palette"] == ["#ffffff", "#112233"]
    assert default_storage.open(reference).read() == before
    assert load_theme(batch.template_snapshot).background == "#ffffff"
    assert batch_run(batch=batch).status == "completed"


def test_a_one_line_brief_fails_the_batch_with_a_clear_reason():
    batch = batch_run(batch=make_batch(outline="Make me a deck about AI in schools"))

    assert batch.status == "failed"
    assert "needs an outline or a text model" in batch.error
    assert not batch.pages.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"size": "640x480"}, "size 640x480 is not supported"),
        ({"quality": "ultra"}, "quality must be one of standard, hd"),
        ({"provider": "nope"}, "unknown provider 'nope'"),
        ({"text_provider": "nope"}, "text_provider: unknown provider 'nope'"),
        ({"colour": "red"}, "unknown option(s): colour"),
    ],
)
def test_bad_options_are_refused_with_the_option_named(options, message):
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        BatchOptions.parse(options)


def test_defaults_fill_the_options():
    assert BatchOptions.parse({}).as_json() == {
        "size": "1536x864",
        "quality": "standard",
        "language": "auto",
        "provider": "local",
        "text_provider": "local",
    }


def test_empty_and_oversized_outlines_are_refused(settings):
    settings.NANODECK = {**settings.NANODECK, "MAX_OUTLINE_CHARS": 100}
    with pytest.raises(InvalidInput, match="the outline is empty"):
        make_batch(outline="   ")
    with pytest.raises(InvalidInput, match="the limit is 100"):
        make_batch(outline="# T\n## S\n### P\n" + "- item\n" * 30)


def test_an_inactive_template_is_refused():
    with pytest.raises(InvalidInput, match="is not active"):
        make_batch(template=SlideTemplateFactory(is_active=False))


def test_regenerating_a_page_from_render_keeps_earlier_attempts_and_stores_the_edits():
    batch = batch_run(batch=make_batch())
    page = batch.pages.get(index=4)
    first_image = page.image.name

    page = page_regenerate(page=page, from_step="render", edits={"text_scale": 1.2})
    page_run(page=page)

    renders = StepRun.objects.filter(page=page, step="render").order_by("attempt")
    assert renders.count() >= 2
    latest = renders.last()
    assert latest.selected
    assert latest.params["edits"] == {"text_scale": 1.2}
    assert "edits" not in StepRun.objects.get(page=page, step="finish", selected=True).params
    assert StepRun.objects.filter(page=page, step="describe").count() == 1
    page.refresh_from_db()
    assert (page.status, page.resume_step, page.instruction) == ("completed", "", "")
    assert page.image.name != first_image


def test_a_held_page_keeps_the_batch_running():
    batch = batch_run(batch=make_batch())
    Batch.objects.filter(pk=batch.pk).update(status="running")
    batch.pages.filter(index=2).update(status="held")

    batch = batch_refresh(batch=batch)

    assert batch.status == "running"
    assert batch.finished_at is not None  # from the first run; a held page does not close it again
    assert batch.completed_pages == batch.total_pages - 1


def test_a_batch_with_failed_and_completed_pages_is_partial():
    batch = batch_run(batch=make_batch())
    Batch.objects.filter(pk=batch.pk).update(status="running")
    batch.pages.filter(index=2).update(status="failed")

    batch = batch_refresh(batch=batch)

    assert (batch.status, batch.failed_pages) == ("partial", 1)
    assert batch.completed_pages == batch.total_pages - 1


def test_an_unknown_from_step_is_refused():
    batch = batch_run(batch=make_batch())
    with pytest.raises(InvalidInput, match="from_step must be one of describe, render, finish"):
        page_regenerate(page=batch.pages.first(), from_step="paint")


def test_an_identical_request_reuses_the_stored_image_and_records_the_cache_hit():
    template = SlideTemplateFactory()
    first = batch_run(batch=make_batch(template=template))

    second = batch_run(batch=make_batch(template=template))

    renders = StepRun.objects.filter(batch=second, step="render", selected=True)
    assert renders.count() == second.total_pages
    assert all(run.cache_hit for run in renders)
    earlier = StepRun.objects.get(batch=first, page__index=4, step="render", selected=True)
    again = renders.get(page__index=4)
    assert again.output_image.read() == earlier.output_image.read()
    assert not StepRun.objects.filter(batch=first, step="render", cache_hit=True).exists()


def test_a_render_cached_by_an_earlier_version_of_the_renderer_is_not_reused(monkeypatch):
    template = SlideTemplateFactory()
    batch_run(batch=make_batch(template=template))
    # A new release of the drawing code (generation/render/) has another digest.
    monkeypatch.setattr("generation.providers.local.renderer_digest", lambda: "next-release")

    second = batch_run(batch=make_batch(template=template))

    assert not StepRun.objects.filter(batch=second, step="render", cache_hit=True).exists()


def test_a_batch_that_asks_for_fresh_images_never_hits_the_cache():
    template = SlideTemplateFactory()
    batch_run(batch=make_batch(template=template))

    fresh = batch_run(batch=make_batch(template=template, options={"fresh": True}))

    assert not StepRun.objects.filter(batch=fresh, cache_hit=True).exists()


def test_regenerating_a_page_never_reuses_its_own_image():
    batch = batch_run(batch=make_batch())
    page = batch.pages.get(index=4)

    page_run(page=page_regenerate(page=page, from_step="render"))

    latest = StepRun.objects.filter(page=page, step="render").order_by("attempt").last()
    assert not latest.cache_hit


def test_a_batch_stops_starting_provider_calls_once_its_budget_is_reached():
    batch = batch_plan(batch=make_batch(options={"budget_usd": 0.05}))
    first, second = batch.pages.order_by("index")[:2]
    page_run(page=first)
    StepRun.objects.filter(page=first, step="render").update(cost_usd=0.05)

    page_run(page=second)

    second.refresh_from_db()
    assert second.status == "failed"
    assert second.error == "the batch's budget of $0.05 is reached ($0.05 spent)"
    assert not StepRun.objects.filter(page=second).exists()
    assert batch_progress(batch=batch)["cost_usd"] == 0.05


@pytest.mark.parametrize("budget", [-1, "ten", True])
def test_a_bad_budget_is_refused(budget):
    with pytest.raises(InvalidInput, match="budget_usd must be a number"):
        BatchOptions.parse({"budget_usd": budget})


def test_prices_come_from_the_table_and_can_be_overridden(settings):
    from generation.providers.pricing import image_cost, text_cost

    assert image_cost(model="gemini-3-pro-image", image_size="4K", input_images=2) == 0.2422
    assert image_cost(model="nanodeck-local-1", image_size="1K", input_images=0) == 0.0
    assert text_cost(model="gemini-3.8-flash", input_tokens=1_000_000, output_tokens=0) == 0.75
    settings.NANODECK = {
        **settings.NANODECK,
        "PRICE_TABLE": {"gemini-3-pro-image": {"image_2K": 0.2}},
    }
    assert image_cost(model="gemini-3-pro-image", image_size="2K", input_images=0) == 0.2


def test_the_image_prompt_carries_the_page_text_verbatim_and_the_template_style():
    template = SlideTemplateFactory(style="flat, corporate", prompt_hints="navy titles")
    batch = batch_run(batch=make_batch(template=template, options={"size": "1536x1024"}))
    page = batch.pages.get(index=4)

    prompt = page.image_prompt

    assert "Text to render verbatim" in prompt
    for text in [page.plan["title"], *(item["title"] for item in page.plan["items"])]:
        assert text in prompt
    assert "flat, corporate" in prompt
    assert "navy titles" in prompt
    assert "3:2 at 1536x1024" in prompt
    assert "no watermark" in prompt

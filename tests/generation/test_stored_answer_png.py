"""A provider's PNG answer is stored as it came, not decoded and encoded again, when the
image the checks judged holds exactly its pixels; otherwise the pipeline encodes what it
judged. A stored render served again is copied, not encoded again."""

import io

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageChops

from generation.images import encode_png
from generation.models import StepRun
from generation.pipeline.engine import StepContext, StepOutput, store_output
from generation.pipeline.steps.render import RenderStep
from generation.providers.base import ImageRequest
from generation.providers.http import answer_png, fit_image
from generation.providers.latency import LatencyProvider
from generation.services.batches import batch_plan
from tests.factories import make_batch

SIZE = (32, 18)


def encoded(image: Image.Image, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def answered(data: bytes) -> bytes | None:
    image = opened(data)
    return answer_png(data, image, fit_image(image, SIZE))


def same_pixels(one: Image.Image, other: Image.Image) -> bool:
    return one.size == other.size and ImageChops.difference(one, other).getbbox() is None


def test_an_rgb_png_of_the_size_asked_for_is_kept_as_it_came():
    data = encoded(Image.new("RGB", SIZE, "#3366cc"))

    assert answered(data) == data


def test_a_png_one_pixel_off_the_size_asked_for_is_encoded_again():
    assert answered(encoded(Image.new("RGB", (33, 18), "#3366cc"))) is None


def test_a_png_with_an_alpha_channel_is_encoded_again():
    assert answered(encoded(Image.new("RGBA", SIZE, "#3366cc"))) is None


def test_a_jpeg_of_the_size_asked_for_is_encoded_again():
    assert answered(encoded(Image.new("RGB", SIZE, "#3366cc"), "JPEG")) is None


@pytest.mark.django_db
def test_a_step_output_with_its_png_stores_those_bytes():
    batch = make_batch()
    image = Image.new("RGB", SIZE, "#3366cc")
    theirs = encoded(image)  # Pillow's encoder: not the bytes encode_png would write
    assert theirs != encode_png(image)
    run = StepRun(batch=batch, step="render", attempt=1)

    store_output(run, StepOutput(image=image, image_png=theirs))

    assert run.output_image.read() == theirs


@pytest.mark.django_db
def test_a_step_output_without_a_png_stores_the_image_encoded():
    batch = make_batch()
    image = Image.new("RGB", SIZE, "#3366cc")
    run = StepRun(batch=batch, step="render", attempt=1)

    store_output(run, StepOutput(image=image))

    assert run.output_image.read() == encode_png(image)


@pytest.mark.django_db
def test_a_render_served_from_the_cache_copies_the_stored_bytes():
    batch = batch_plan(batch=make_batch())
    step, ctx = RenderStep(), StepContext(batch=batch, page=batch.pages.get(index=2))
    params = step.default_params(ctx)
    image = Image.new("RGB", SIZE, "#3366cc")
    stored = encoded(image)  # Pillow's encoder: encoding the image again gives other bytes
    run = StepRun.objects.create(
        batch=batch,
        page=batch.pages.get(index=3),  # another page's identical request
        step="render",
        attempt=1,
        input_digest=step.input_digest(ctx, params),
        threshold=7.0,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    run.output_image.save("cached.png", ContentFile(stored))

    hit = step.run(ctx, params)

    assert hit.cache_hit
    assert hit.image_png == stored
    assert same_pixels(hit.image, image)


@pytest.mark.django_db
def test_the_latency_provider_answers_with_a_png_of_the_image_it_returns(settings):
    settings.NANODECK = {
        **settings.NANODECK,
        "LATENCY_PROVIDER_SECONDS": 0.0,
        "LATENCY_PROVIDER_P95": 0.0,
        "OCR_ENABLED": False,
    }

    result = LatencyProvider().generate(ImageRequest(prompt="a slide", size=(480, 270)))

    assert same_pixels(opened(result.png), result.image)

"""A template's reference image is decoded once per process, not once per batch: every
batch holds a copy under its own path, with the same digest."""

import random
from unittest import mock

import pytest

from generation.pipeline.steps import common
from generation.pipeline.steps.common import load_theme
from tests.factories import SlideTemplateFactory, make_batch

pytestmark = pytest.mark.django_db


def unseen(snapshot: dict) -> dict:
    """The snapshot with a palette no earlier test used: nothing of it is cached yet."""
    return {**snapshot, "palette": [f"#{random.randrange(16**6):06x}", "#000000", "#ffffff"]}


def test_two_batches_of_one_template_decode_its_reference_image_once():
    template = SlideTemplateFactory()
    first, second = make_batch(template=template), make_batch(template=template)
    paths = {b.template_snapshot["reference_images"][0]["path"] for b in (first, second)}
    assert len(paths) == 2  # each batch has its own copy
    palette = unseen(first.template_snapshot)["palette"]

    with mock.patch.object(common, "open_rgb", wraps=common.open_rgb) as decoded:
        themes = [load_theme({**b.template_snapshot, "palette": palette}) for b in (first, second)]

    assert decoded.call_count == 1
    assert themes[0].reference_image is themes[1].reference_image


def test_a_reference_image_with_other_content_is_decoded_on_its_own():
    first = make_batch(template=SlideTemplateFactory())
    snapshot = unseen(first.template_snapshot)
    other = {**snapshot, "reference_images": [{**snapshot["reference_images"][0], "sha256": "0"}]}

    with mock.patch.object(common, "open_rgb", wraps=common.open_rgb) as decoded:
        load_theme(snapshot)
        load_theme(other)

    assert decoded.call_count == 2

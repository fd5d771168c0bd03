"""Benchmark-only image provider: waits a fixed time, then returns a slide rendered once in
advance, so that a pipeline benchmark measures orchestration rather than rendering.

Enabled only with BENCHMARK_PROVIDERS=1; never offered to users otherwise.
"""

import time
from functools import cache

from django.conf import settings

from generation.providers.base import ImageRequest, ImageResult
from generation.render.renderer import render_slide
from generation.slides import RenderResult, Theme

SAMPLE_PLAN = {
    "kind": "content",
    "title": "Benchmark slide",
    "subtitle": "",
    "section": "",
    "section_index": 0,
    "items": [
        {"title": f"Point {n}", "text": "rendered once, served many times", "children": []}
        for n in range(4)
    ],
    "semanticFeatures": {"logicType": "classification", "contentType": "concept_explanation"},
    "language": "en",
}


@cache
def _prerendered(size: tuple[int, int]) -> RenderResult:
    return render_slide(SAMPLE_PLAN, Theme(), size)


class LatencyProvider:
    name = "latency"
    image_model = "sleep"
    text_model = ""  # images only
    known_models: tuple[str, ...] = ()
    wants_reference_urls = False

    def __init__(self) -> None:
        self.seconds = settings.NANODECK["LATENCY_PROVIDER_SECONDS"]

    def generate(self, request: ImageRequest) -> ImageResult:
        time.sleep(self.seconds)
        sample = _prerendered(request.size)
        # The sample's own text boxes go along, so that the checks (OCR included) cost what
        # they cost on a real slide without failing on text the page never asked for.
        return ImageResult(
            image=sample.image.copy(),
            provider=self.name,
            model=self.image_model,
            boxes=sample.boxes,
            safe_box=sample.safe_box,
            layout=sample.layout,
        )

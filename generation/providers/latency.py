"""Benchmark-only image provider: waits a fixed time, then returns a slide rendered once in
advance, so that a pipeline benchmark measures orchestration rather than rendering.

Enabled only with BENCHMARK_PROVIDERS=1; never offered to users otherwise.
"""

import time
from functools import cache

from PIL import Image

from config.env import env_float
from generation.providers.base import ImageRequest, ImageResult
from generation.render.renderer import render_slide
from generation.slides import Theme

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
def _prerendered(size: tuple[int, int]) -> Image.Image:
    return render_slide(SAMPLE_PLAN, Theme(), size).image


class LatencyProvider:
    name = "latency"
    model = "sleep"

    def __init__(self) -> None:
        self.seconds = env_float("LATENCY_PROVIDER_SECONDS", 0.5)

    def generate(self, request: ImageRequest) -> ImageResult:
        time.sleep(self.seconds)
        return ImageResult(
            image=_prerendered(request.size).copy(), provider=self.name, model=self.model
        )

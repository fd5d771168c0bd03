"""Benchmark-only image provider: waits a drawn time, then returns a slide rendered once in
advance, so that a pipeline benchmark measures orchestration rather than rendering.

The wait is log-normal with a median (LATENCY_PROVIDER_SECONDS) and a p95
(LATENCY_PROVIDER_P95; none or equal to the median: always the median), and a share of calls
(LATENCY_PROVIDER_STUCK_RATE) is stuck, LATENCY_PROVIDER_STUCK_FACTOR times slower: the heavy
tail of a real image model. Draws are seeded (LATENCY_PROVIDER_SEED) per request and per call
of that request in this process, so the same deck under the same seed waits the same, and a
hedged duplicate of a call draws its own time. The drawn time is the whole call's (a process's
first call renders the sample slide within it). With the OCR check on, the slide shows the
page's own plan instead, drawn within the drawn time as a remote model would have drawn it:
the check compares what it reads with the plan, and the sample's text would fail every page.
That drawing is the provider's work, not ours: its CPU time goes back in the answer's usage
(`provider_draw_cpu_ms`) and bench_pipeline takes it out of `cpu_ms_per_page`. A call whose
answer is no longer wanted
(`request.cancel`) stops waiting at once. Priced as Nano Banana Pro, so that a benchmark shows
what its extra calls would cost.

Enabled only with BENCHMARK_PROVIDERS=1; never offered to users otherwise.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from generation.images import encode_png
from generation.providers.base import ImageRequest, ImageResult, requested_image_size
from generation.providers.pricing import image_cost
from generation.render.renderer import render_slide
from generation.slides import RenderResult, Theme

PRICED_AS = "gemini-3-pro-image"
Z95 = 1.6448536269514722  # the standard normal's 95th percentile

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
def _prerendered(size: tuple[int, int]) -> tuple[RenderResult, bytes]:
    result = render_slide(SAMPLE_PLAN, Theme(), size)
    return result, encode_png(result.image)


def _drawn(request: ImageRequest) -> tuple[RenderResult, bytes, float]:
    """The slide to answer with, as a PNG too (a remote model answers with encoded bytes),
    and the CPU milliseconds drawing and encoding it took in this thread."""
    if not (settings.NANODECK["OCR_ENABLED"] and request.page_plan):
        return *_prerendered(request.size), 0.0
    started = time.thread_time()
    result = render_slide(request.page_plan, request.theme or Theme(), request.size)
    png = encode_png(result.image)
    return result, png, 1000 * (time.thread_time() - started)


@dataclass(frozen=True)
class Delays:
    """The distribution of the provider's waits."""

    median: float
    p95: float = 0.0  # 0 or the median: no spread
    stuck_rate: float = 0.0
    stuck_factor: float = 10.0
    seed: str = "0"

    @classmethod
    def from_settings(cls) -> Delays:
        config = settings.NANODECK
        return cls(
            median=config["LATENCY_PROVIDER_SECONDS"],
            p95=config["LATENCY_PROVIDER_P95"],
            stuck_rate=config["LATENCY_PROVIDER_STUCK_RATE"],
            stuck_factor=config["LATENCY_PROVIDER_STUCK_FACTOR"],
            seed=config["LATENCY_PROVIDER_SEED"],
        )

    def draw(self, key: str, n: int) -> float:
        """The wait of call `n` (0, 1, …) of the request named `key`: the same every time."""
        rng = random.Random(f"{self.seed}:{key}:{n}")
        sigma = math.log(self.p95 / self.median) / Z95 if self.p95 > self.median > 0 else 0.0
        seconds = self.median * math.exp(sigma * rng.gauss(0.0, 1.0))
        if rng.random() < self.stuck_rate:
            seconds *= self.stuck_factor
        return seconds


def request_key(request: ImageRequest) -> str:
    """What names a request for the draws: its prompt and parameters."""
    text = json.dumps([request.prompt, request.params], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_calls: Counter[str] = Counter()
_calls_lock = threading.Lock()


class LatencyProvider:
    name = "latency"
    image_model = "sleep"
    text_model = ""  # images only
    known_models: tuple[str, ...] = ()
    wants_reference_urls = False

    def __init__(self) -> None:
        self.delays = Delays.from_settings()

    def generate(self, request: ImageRequest) -> ImageResult:
        key = request_key(request)
        with _calls_lock:
            n = _calls[key]
            _calls[key] += 1
        started = time.monotonic()
        sample, png, draw_cpu_ms = _drawn(request)  # drawn within the wait
        # The answer is made within the drawn time too (the whole call's), then the rest of
        # it is waited. The slide's own text boxes go along, so that the checks (OCR
        # included) cost what they cost on a real slide.
        size = requested_image_size(quality=request.quality, params=request.params)
        answer = ImageResult(
            image=sample.image.copy(),  # its own: the pipeline may change it
            png=png,
            usage={"provider_draw_cpu_ms": round(draw_cpu_ms, 1)},
            provider=self.name,
            model=self.image_model,
            boxes=sample.boxes,
            safe_box=sample.safe_box,
            layout=sample.layout,
            cost_usd=image_cost(
                model=PRICED_AS, image_size=size, input_images=len(request.references)
            ),
        )
        request.cancel.wait(self.delays.draw(key, n) - (time.monotonic() - started))
        return answer

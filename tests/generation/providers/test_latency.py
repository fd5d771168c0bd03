"""The benchmark-only latency provider: seeded, reproducible waits with a heavy tail."""

import statistics
import time
from unittest import mock

import pytest
from PIL import Image

from generation.bench import nearest_rank
from generation.providers.base import ImageRequest
from generation.providers.latency import Delays, LatencyProvider

SAMPLES = 4000


def draws(delays: Delays, n: int = SAMPLES) -> list[float]:
    return [delays.draw(f"page-{i}", 0) for i in range(n)]


def test_the_same_seed_draws_the_same_waits_and_another_seed_other_ones():
    delays = Delays(median=0.5, p95=1.25, stuck_rate=0.03, seed="7")

    assert draws(delays, 50) == draws(Delays(median=0.5, p95=1.25, stuck_rate=0.03, seed="7"), 50)
    assert draws(delays, 50) != draws(Delays(median=0.5, p95=1.25, stuck_rate=0.03, seed="8"), 50)


def test_a_second_call_of_the_same_request_draws_its_own_wait():
    delays = Delays(median=0.5, p95=1.25, seed="1")

    assert delays.draw("page-1", 0) != delays.draw("page-1", 1)
    assert delays.draw("page-1", 1) == delays.draw("page-1", 1)


def test_the_waits_have_the_median_and_p95_asked_for():
    waits = draws(Delays(median=0.5, p95=1.25, seed="3"))

    assert statistics.median(waits) == pytest.approx(0.5, rel=0.05)
    assert nearest_rank(waits, 0.95) == pytest.approx(1.25, rel=0.08)


def test_the_share_of_stuck_calls_is_the_rate_asked_for_and_each_is_factor_times_slower():
    waits = draws(Delays(median=0.5, p95=0.5, stuck_rate=0.03, stuck_factor=10, seed="4"))

    stuck = [wait for wait in waits if wait > 0.5]
    assert len(stuck) / len(waits) == pytest.approx(0.03, abs=0.008)
    assert stuck == [pytest.approx(5.0)] * len(stuck)


def test_without_a_p95_every_wait_is_the_median():
    assert set(draws(Delays(median=0.2), 100)) == {0.2}


@pytest.fixture
def slow_provider(settings):
    settings.NANODECK = {
        **settings.NANODECK,
        "LATENCY_PROVIDER_SECONDS": 30.0,
        "LATENCY_PROVIDER_P95": 0.0,
        "LATENCY_PROVIDER_STUCK_RATE": 0.0,
    }
    return LatencyProvider()


def test_a_cancelled_call_stops_waiting_at_once_and_is_priced_as_nano_banana_pro(slow_provider):
    request = ImageRequest(prompt="slide", size=(320, 180), references=[b"ref"])
    request.cancel.set()
    started = time.monotonic()

    result = slow_provider.generate(request)

    assert time.monotonic() - started < 1
    assert result.image.size == (320, 180)
    assert result.cost_usd == pytest.approx(0.134 + 0.0011)


def plan(title: str) -> dict:
    return {
        "kind": "content",
        "title": title,
        "subtitle": "",
        "items": [{"title": "潮汐", "text": "twice a day", "children": []}],
        "language": "en",
    }


def test_with_the_ocr_check_on_it_draws_the_pages_own_plan_and_reports_the_cpu(settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": True, "LATENCY_PROVIDER_SECONDS": 0}

    answer = LatencyProvider().generate(
        ImageRequest(prompt="p", size=(1536, 864), page_plan=plan("Tides and the moon"))
    )

    texts = " ".join(box.text for box in answer.boxes)
    assert "Tides and the moon" in texts
    assert "潮汐" in texts
    assert answer.usage["provider_draw_cpu_ms"] > 0


def test_with_the_ocr_check_off_it_answers_with_the_sample_and_draws_nothing(settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False, "LATENCY_PROVIDER_SECONDS": 0}

    answer = LatencyProvider().generate(
        ImageRequest(prompt="p", size=(1536, 864), page_plan=plan("Tides and the moon"))
    )

    assert "Benchmark slide" in " ".join(box.text for box in answer.boxes)
    assert answer.usage["provider_draw_cpu_ms"] == 0


def test_a_call_takes_its_drawn_time_with_the_answer_made_within_it(settings):
    settings.NANODECK = {
        **settings.NANODECK,
        "OCR_ENABLED": False,
        "LATENCY_PROVIDER_SECONDS": 0.3,
        "LATENCY_PROVIDER_P95": 0.0,
        "LATENCY_PROVIDER_STUCK_RATE": 0.0,
    }
    provider = LatencyProvider()
    provider.generate(ImageRequest(prompt="warm", size=(1536, 864)))  # the sample, drawn once
    made = []
    copy = Image.Image.copy

    def slow_copy(image: Image.Image) -> Image.Image:
        time.sleep(0.1)  # an answer that takes long to make: still within the drawn time
        made.append(time.monotonic())
        return copy(image)

    started = time.monotonic()
    with mock.patch.object(Image.Image, "copy", slow_copy):
        provider.generate(ImageRequest(prompt="slide", size=(1536, 864)))
    elapsed = time.monotonic() - started

    assert made
    assert 0.3 <= elapsed < 0.38

"""What the pipeline benchmark reports over its decks (generation/bench.py)."""

import pytest

from generation.bench import nearest_rank, summary


def deck(wall_s: float, *, calls: int = 24, hedged: int = 0, price: float = 0.1) -> dict:
    return {
        "wall_s": wall_s,
        "first_s": 0.6,
        "rss": 100.0,
        "calls": calls,
        "hedged": hedged,
        "won": hedged // 2,
        "cost": (calls + hedged) * price,
        "hedge_cost": hedged * price,
        "cache_hits": 0,
    }


def test_the_ratios_are_wall_over_median_latency_times_the_rounds_of_calls():
    walls = [2.0, 1.0, 3.0, 1.5, 10.0, 2.5, 1.8, 2.2, 1.9, 4.0]

    figures = summary([deck(w) for w in walls], pages=24, concurrency=12, latency=0.5)

    assert figures["ideal_s"] == 1.0  # ceil(24 / 12) x 0.5
    assert figures["ratios"] == walls
    assert figures["ratio_median"] == 2.1
    assert figures["ratio_p90"] == 4.0  # nearest rank: the 9th of 10
    assert figures["repeat"] == 10


def test_hedges_count_per_page_and_as_a_share_of_calls_and_of_cost():
    figures = summary(
        [deck(2.0, hedged=3), deck(2.0, hedged=1)], pages=24, concurrency=12, latency=0.5
    )

    assert figures["hedges"] == 4
    assert figures["hedges_per_page"] == pytest.approx(4 / 48, abs=1e-4)
    assert figures["extra_calls_share"] == pytest.approx(4 / 48, abs=1e-4)
    assert figures["extra_cost_usd"] == pytest.approx(0.4)
    assert figures["extra_cost_share"] == pytest.approx(4 / 48, abs=1e-4)


def test_the_nearest_rank_is_a_value_that_was_measured():
    assert nearest_rank([3.0, 1.0, 2.0], 0.5) == 2.0
    assert nearest_rank([3.0, 1.0, 2.0], 0.9) == 3.0
    assert nearest_rank([5.0], 0.9) == 5.0

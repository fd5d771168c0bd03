"""Default step policies; the data migrations and the engine's fallback share them.

Passing outputs are sampled for review too (review_sample_rate): calibration needs people's
verdicts on both sides of the threshold, not only on the attempts that failed it.
"""

POLICY_DEFAULTS: dict[str, dict] = {
    "outline": {"threshold": 6.0, "max_attempts": 1, "on_no_pass": "fail"},
    "plan": {
        "threshold": 7.0,
        "max_attempts": 2,
        "on_no_pass": "continue",
        "review_sample_rate": 0.2,
    },
    "describe": {
        "threshold": 7.0,
        "max_attempts": 3,
        "on_no_pass": "continue",
        "review_sample_rate": 0.1,
    },
    "render": {
        "threshold": 7.0,
        "max_attempts": 3,
        "on_no_pass": "continue",
        "review_sample_rate": 0.2,
    },
    "finish": {"threshold": 5.0, "max_attempts": 1, "on_no_pass": "fail"},
}

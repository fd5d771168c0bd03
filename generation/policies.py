"""Default step policies; the data migration and the engine's fallback share them."""

POLICY_DEFAULTS: dict[str, dict] = {
    "outline": {"threshold": 6.0, "max_attempts": 1, "on_no_pass": "fail"},
    "plan": {"threshold": 7.0, "max_attempts": 2, "on_no_pass": "continue"},
    "describe": {"threshold": 7.0, "max_attempts": 3, "on_no_pass": "continue"},
    "render": {"threshold": 7.0, "max_attempts": 3, "on_no_pass": "continue"},
    "finish": {"threshold": 5.0, "max_attempts": 1, "on_no_pass": "fail"},
}

"""The review API for evaluators (mounted under /api/v1/review/ by config.urls)."""

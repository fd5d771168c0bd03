"""The public REST API for batches and pages (mounted under /api/v1/ by config.urls)."""

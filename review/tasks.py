"""django-q2 tasks of the review app (ids and names only in, plain values out)."""

from review.calibration import calibrate_scheduled


def calibrate_thresholds() -> list[str]:
    """Hourly (schedule from a migration): apply better thresholds where policies allow it."""
    return [str(change) for change in calibrate_scheduled()]

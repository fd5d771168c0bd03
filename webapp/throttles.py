"""The API's throttles (config.api) held to the web app's forms too, so a page is no way
around them."""

from __future__ import annotations

import math

from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle


def throttle_wait(throttle: SimpleRateThrottle, request: HttpRequest) -> int | None:
    """None when the request may go on (and is counted); else the seconds to wait."""
    if throttle.allow_request(request, None):
        return None
    return math.ceil(throttle.wait() or 1)

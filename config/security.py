"""The Content-Security-Policy header (Django 5.2 has none built in).

One strict policy on every response: scripts, styles and fonts only from this server's static
files (nothing inline), images also from `data:` and the media storage's origin, no plugins,
no framing, forms post only here. HTML pages (review site, admin, API docs) are what it
protects; on JSON and files it costs a header and forbids nothing they need.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def content_security_policy() -> str:
    """The policy from settings.CONTENT_SECURITY_POLICY ({directive: [sources]})."""
    return "; ".join(
        " ".join([directive, *sources])
        for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()
        # Django's own debug pages (DEBUG=1 only) style themselves inline.
        self.spare_errors = settings.DEBUG

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.spare_errors and response.status_code >= 400:
            return response
        response.headers.setdefault(HEADER, self.policy)
        return response

"""Sign-in throttling for the two password forms, the review site's and the admin's.

After SIGNIN_MAX_FAILURES wrong passwords for one username (case-blind) from one address
within SIGNIN_WINDOW_SECONDS, every sign-in for that username from that address is refused,
the right password included, until the window that began with the first failure ends. The
counts live in the cache (Redis when REDIS_URL is set, so all web processes share them). The
address is REMOTE_ADDR: behind the proxy of the README's deployment (uvicorn --proxy-headers
with --forwarded-allow-ips naming it) the client's; a client cannot set it with a header.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse

THROTTLED = "throttled"


def _key(request: HttpRequest, username: str) -> str:
    who = f"{username.casefold()}\0{request.META.get('REMOTE_ADDR', '')}"
    return "signin-failures:" + hashlib.sha256(who.encode()).hexdigest()


def signin_blocked(*, request: HttpRequest, username: str) -> bool:
    return cache.get(_key(request, username), 0) >= settings.SIGNIN_MAX_FAILURES


def signin_failed(*, request: HttpRequest, username: str) -> None:
    """Count one failure; the first one opens the window."""
    key = _key(request, username)
    if not cache.add(key, 1, timeout=settings.SIGNIN_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.add(key, 1, timeout=settings.SIGNIN_WINDOW_SECONDS)


def signin_succeeded(*, request: HttpRequest, username: str) -> None:
    cache.delete(_key(request, username))


class ThrottledSignInMixin:
    """For an AuthenticationForm: refuse a throttled username before checking its password,
    count failures, forget them on success."""

    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or ""
        if username and signin_blocked(request=self.request, username=username):
            minutes = max(1, round(settings.SIGNIN_WINDOW_SECONDS / 60))
            raise forms.ValidationError(
                f"Too many failed sign-ins for {username} from your address: "
                f"try again in {minutes} minutes.",
                code=THROTTLED,
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                signin_failed(request=self.request, username=username)
            raise
        signin_succeeded(request=self.request, username=username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledSignInMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledSignInMixin, AdminAuthenticationForm):
    pass


def throttled_signin_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A login view whose form refused a throttled sign-in answers 429 with Retry-After."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if form is not None and form.has_error(NON_FIELD_ERRORS, code=THROTTLED):
            response.status_code = 429
            response["Retry-After"] = str(settings.SIGNIN_WINDOW_SECONDS)
        return response

    return guarded

"""Sign up, sign in and sign out: the accounts API's rules and throttles, as pages."""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.api import RegisterThrottle
from config.signin import ThrottledAuthenticationForm, throttled_signin_view
from generation.errors import InvalidInput
from generation.services.accounts import user_register
from webapp.forms import SignUpForm, add_service_error
from webapp.throttles import throttle_wait


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """A new account with the sign-up credits (SIGNUP_CREDITS), signed in at once."""
    if request.user.is_authenticated:
        return redirect("app:home")
    form = SignUpForm(request.POST or None)
    if request.method == "GET" or not form.is_valid():
        return _signup_page(request, form)
    wait = throttle_wait(RegisterThrottle(), request)
    if wait is not None:
        form.add_error(
            None,
            _("Too many sign-ups from your address: try again in %(seconds)d seconds.")
            % {"seconds": wait},
        )
        return _signup_page(request, form, status=429)
    try:
        user, _token = user_register(**form.cleaned_data)
    except InvalidInput as exc:
        add_service_error(form, exc)
        return _signup_page(request, form)
    login(request, user)
    return redirect("app:home")


def _signup_page(
    request: HttpRequest, form: SignUpForm, *, status: int | None = None
) -> HttpResponse:
    if status is None:
        status = 400 if form.is_bound else 200
    return render(request, "webapp/accounts/signup.html", {"form": form}, status=status)


signin = throttled_signin_view(
    auth_views.LoginView.as_view(
        template_name="webapp/accounts/signin.html",
        authentication_form=ThrottledAuthenticationForm,
        redirect_authenticated_user=True,
    )
)

signout = auth_views.LogoutView.as_view()

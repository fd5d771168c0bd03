"""Sign up, sign in and sign out pages: the accounts API's rules (password validators, unique
username and email whatever their case, sign-up credits, throttles), errors in the form."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from generation.credit_selectors import credit_balance
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP, SIGNIN, SIGNOUT = "/signup/", "/signin/", "/signout/"
GOOD = {"username": "ada", "email": "ada@example.com", "password": "a-long-Passphrase-42"}


def test_signing_up_makes_an_account_with_the_signup_credits_and_signs_in(client, settings):
    settings.SIGNUP_CREDITS = 15
    response = client.post(SIGNUP, GOOD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = get_user_model().objects.get(username="ada")
    assert credit_balance(user=user) == {"balance": 15, "held": 0}
    home = client.get("/")
    assert home.status_code == 200
    assert "15 credits" in home.content.decode()


def test_the_signup_page_shows_its_fields(client):
    response = client.get(SIGNUP)
    assert response.status_code == 200
    for name in ("username", "email", "password"):
        assert f'name="{name}"' in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"password": "ada"}, "password", "too short"),
        ({"password": "password123"}, "password", "too common"),
        ({"password": "ada@example.com1"}, "password", "too similar"),
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"username": "ada lovelace"}, "username", "valid username"),
        ({"username": ""}, "username", "required"),
    ],
)
def test_bad_signup_input_shows_errors_and_stores_nothing(client, changes, field, words):
    response = client.post(SIGNUP, {**GOOD, **changes})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert words in " ".join(errors[field])
    assert not get_user_model().objects.exists()


def test_a_taken_username_or_email_whatever_its_case_is_refused(client):
    UserFactory(username="Ada", email="ADA@example.com")
    taken = client.post(SIGNUP, GOOD)
    assert taken.status_code == 400
    assert "taken" in " ".join(taken.context["form"].errors["username"])
    email = client.post(SIGNUP, {**GOOD, "username": "other"})
    assert "exists" in " ".join(email.context["form"].errors["email"])
    assert get_user_model().objects.count() == 1


def test_signups_are_throttled_per_address_as_in_the_api(client, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "register": "1/hour"}
    assert client.post(SIGNUP, GOOD).status_code == 302
    other = Client()
    response = other.post(SIGNUP, {**GOOD, "username": "bob", "email": "bob@example.com"})
    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()
    assert not get_user_model().objects.filter(username="bob").exists()


def test_signing_in_and_out(client, user):
    page = client.get(SIGNIN)
    assert page.status_code == 200
    response = client.post(SIGNIN, {"username": user.username, "password": "pw-for-tests-only"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    out = client.post(SIGNOUT)
    assert out.status_code == 302
    assert out["Location"] == SIGNIN
    assert client.get("/")["Location"] == "/signin/?next=/"


def test_a_wrong_password_shows_an_error_and_too_many_lock_the_username(client, user, settings):
    settings.SIGNIN_MAX_FAILURES = 2
    wrong = {"username": user.username, "password": "nope"}
    response = client.post(SIGNIN, wrong)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    client.post(SIGNIN, wrong)
    locked = client.post(SIGNIN, {"username": user.username, "password": "pw-for-tests-only"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()


@pytest.mark.parametrize("path", ["/", "/credits/", "/decks/new/", "/images/", "/images/new/"])
def test_pages_send_anonymous_visitors_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/signin/?next={path}"


def test_the_review_site_keeps_its_own_login(client):
    response = client.get("/review/")
    assert response["Location"] == "/review/login/?next=/review/"


def test_a_signed_in_visitor_is_sent_home_from_the_signup_page(signed_in):
    assert signed_in.get(SIGNUP)["Location"] == "/"

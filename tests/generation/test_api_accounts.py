"""Accounts through the API: sign up (with the sign-up credits), log in for a token, log out,
who am I; `Bearer` as well as `Token`; staff grants. Bad input is a 4xx in the one error shape
and stores nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.models import CreditEntry
from tests.api_errors import error_of
from tests.factories import UserFactory
from tests.generation.credits import balance, give, ledger

pytestmark = pytest.mark.django_db

REGISTER, TOKEN, LOGOUT, ME = (
    "/api/v1/auth/register/",
    "/api/v1/auth/token/",
    "/api/v1/auth/logout/",
    "/api/v1/me/",
)
GRANTS = "/api/v1/credits/grants/"
GOOD = {"username": "mei", "email": "Mei@Example.com", "password": "plum-blossom-4821"}


def register(payload: dict | None = None, client: APIClient | None = None):
    return (client or APIClient()).post(REGISTER, payload or GOOD, format="json")


def authed(token: str, word: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{word} {token}")
    return client


def test_signing_up_makes_a_user_with_a_token_and_the_signup_credits(settings):
    settings.SIGNUP_CREDITS = 25

    response = register()

    assert response.status_code == 201, response.json()
    body = response.json()
    user = get_user_model().objects.get(username="mei")
    assert body["token"] == Token.objects.get(user=user).key
    assert body["user"]["credits"] == {"balance": 25, "held": 0}
    assert body["user"]["email"] == "Mei@example.com"  # the domain is lower-cased
    assert ledger(user) == [("grant", 25)]
    assert CreditEntry.objects.get().reason == "sign-up credits"
    assert "password" not in body["user"]


def test_no_signup_credits_means_no_entry(settings):
    settings.SIGNUP_CREDITS = 0

    assert register().status_code == 201
    assert not CreditEntry.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"password": "short1"}, "password", "too short"),
        ({"password": "password123"}, "password", "too common"),
        ({"password": "12345678901"}, "password", "entirely numeric"),
        ({"password": "Mei@Example.com"}, "password", "too similar"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"username": "mei lin"}, "username", "valid username"),
        ({"username": ""}, "username", "blank"),
        ({"username": 12}, "username", "Not a valid string"),
        ({"email": ["a@b.c"]}, "email", "valid email"),
        ({"password": None}, "password", "may not be null"),
    ],
)
def test_a_bad_signup_is_a_400_naming_the_field_and_stores_nothing(change, field, words):
    error = error_of(register({**GOOD, **change}), 400)

    assert error["code"] == "invalid"
    assert field in error["details"]
    assert words in " ".join(error["details"][field])
    assert not get_user_model().objects.exists()
    assert not CreditEntry.objects.exists()


@pytest.mark.parametrize(
    "taken",
    [{"email": "mei@example.COM", "username": "other"}, {"username": "MEI", "email": "x@y.org"}],
)
def test_an_email_or_username_taken_in_any_case_is_a_400(taken):
    register()

    error = error_of(register({**GOOD, **taken}), 400)

    assert "taken" in error["message"] or "exists" in error["message"]
    assert get_user_model().objects.count() == 1


def test_signing_up_is_throttled_per_address(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "register": "2/hour"}
    for n in range(2):
        assert register({**GOOD, "username": f"u{n}", "email": f"u{n}@x.org"}).status_code == 201

    response = register({**GOOD, "username": "u9", "email": "u9@x.org"})

    assert error_of(response, 429)["code"] == "throttled"
    assert "Retry-After" in response
    assert get_user_model().objects.count() == 2


def test_logging_in_gives_the_users_token_and_a_wrong_password_is_a_400():
    user = UserFactory(username="lin")
    client = APIClient()

    response = client.post(TOKEN, {"username": "lin", "password": "pw-for-tests-only"})

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}
    wrong = client.post(TOKEN, {"username": "lin", "password": "pw-for-tests-onlY"})
    assert error_of(wrong, 400)["message"] == "Unable to log in with these credentials."


def test_log_ins_after_too_many_wrong_passwords_are_refused_even_the_right_one(settings):
    settings.SIGNIN_MAX_FAILURES = 2
    UserFactory(username="lin")
    client = APIClient()
    for _ in range(2):
        client.post(TOKEN, {"username": "lin", "password": "wrong"})

    response = client.post(TOKEN, {"username": "LIN", "password": "pw-for-tests-only"})

    assert error_of(response, 429)["code"] == "throttled"
    assert not Token.objects.exists()


def test_logging_out_revokes_the_token():
    token = register().json()["token"]
    client = authed(token)

    assert client.post(LOGOUT).status_code == 204

    assert error_of(client.get(ME), 401)["code"] == "authentication_failed"
    assert not Token.objects.exists()


def test_me_shows_the_user_groups_and_balance():
    body = register().json()
    user = get_user_model().objects.get(username="mei")
    user.groups.add(Group.objects.get_or_create(name="evaluators")[0])
    give(user, 5)

    response = authed(body["token"]).get(ME)

    assert response.json() == {
        "id": user.pk,
        "username": "mei",
        "email": "Mei@example.com",
        "is_staff": False,
        "groups": ["evaluators"],
        "credits": {"balance": 20 + 5, "held": 0},
    }


@pytest.mark.parametrize("word", ["Bearer", "bearer", "Token", "token"])
def test_bearer_and_token_both_authenticate(word):
    token = register().json()["token"]

    assert authed(token, word).get(ME).status_code == 200


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer nope", "Bearer a\x00b", "Basic abc"]
)
def test_a_bad_bearer_header_is_a_401(header):
    register()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert error_of(client.get(ME), 401)["code"] in ("authentication_failed", "not_authenticated")


# --- staff grants ---------------------------------------------------------------------------


@pytest.fixture
def staff_api() -> APIClient:
    staff = UserFactory(username="boss", is_staff=True)
    return authed(Token.objects.create(user=staff).key)


def test_staff_grant_credits_with_a_reason(staff_api):
    user = UserFactory()

    response = staff_api.post(
        GRANTS, {"user": user.pk, "amount": 40, "reason": "conference demo"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["amount"], body["reason"], body["created_by"]) == (
        "grant",
        40,
        "conference demo",
        "boss",
    )
    assert balance(user) == (40, 0)


def test_a_grant_retried_with_its_key_is_given_once(staff_api):
    user = UserFactory()
    payload = {"user": user.pk, "amount": 40, "reason": "refund"}

    first = staff_api.post(GRANTS, payload, format="json", HTTP_IDEMPOTENCY_KEY="grant-1")
    again = staff_api.post(GRANTS, payload, format="json", HTTP_IDEMPOTENCY_KEY="grant-1")

    assert again.json() == first.json()
    assert balance(user) == (40, 0)


def test_a_user_who_is_not_staff_cannot_grant():
    user = UserFactory()
    client = authed(Token.objects.create(user=user).key)

    response = client.post(GRANTS, {"user": user.pk, "amount": 5, "reason": "me"}, format="json")

    assert error_of(response, 403)["code"] == "permission_denied"
    assert not CreditEntry.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": -5}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": 1_000_001}, "amount"),
        ({"amount": "5"}, "amount"),
        ({"amount": 2.5}, "amount"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": None}, "reason"),
        ({"user": 999_999}, "user"),
        ({"user": "1"}, "user"),
    ],
)
def test_a_bad_grant_is_a_400_naming_the_field_and_gives_nothing(staff_api, change, field):
    user = UserFactory()
    payload = {"user": user.pk, "amount": 5, "reason": "why", **change}

    error = error_of(staff_api.post(GRANTS, payload, format="json"), 400)

    assert list(error["details"]) == [field]
    assert not CreditEntry.objects.exists()


def test_a_grant_without_a_reason_is_a_400(staff_api):
    user = UserFactory()

    error = error_of(staff_api.post(GRANTS, {"user": user.pk, "amount": 5}, format="json"), 400)

    assert error["details"] == {"reason": ["This field is required."]}
    assert not CreditEntry.objects.exists()


def test_logging_out_of_a_session_ends_it():
    client = APIClient()
    client.force_login(UserFactory())
    assert client.get(ME).status_code == 200

    assert client.post(LOGOUT).status_code == 204

    assert error_of(client.get(ME), 401)["code"] == "not_authenticated"

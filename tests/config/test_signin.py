"""Sign-ins are throttled per username and address, on the review site and in the admin."""

import time

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"  # UserFactory's
PAGES = {"review": "/review/login/", "admin": "/admin/login/"}


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """Wrong passwords are checked for real, quickly (the slow default would blur the window)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user():
    user = UserFactory(username="eva", is_staff=True)
    user.groups.add(Group.objects.get(name="evaluators"))
    return user


def sign_in(client: Client, page: str, username: str, password: str):
    return client.post(PAGES[page], {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("page", PAGES)
def test_thirty_wrong_passwords_then_the_right_one_do_not_sign_in(user, page):
    client = Client()
    for _ in range(30):
        sign_in(client, page, "eva", "wrong")

    response = sign_in(client, page, "eva", PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "Too many failed sign-ins for eva from your address" in response.content.decode()
    assert not signed_in(client)


@pytest.mark.parametrize("page", PAGES)
def test_a_few_mistakes_then_the_right_password_sign_in(user, page):
    client = Client()
    for _ in range(4):
        assert sign_in(client, page, "eva", "wrong").status_code == 200

    response = sign_in(client, page, "eva", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_the_throttle_holds_one_username_from_one_address(user):
    UserFactory(username="bob")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        sign_in(attacker, "review", "EVA", "wrong")  # usernames are counted case-blind

    blocked = sign_in(attacker, "review", "eva", PASSWORD)
    other_user = sign_in(Client(REMOTE_ADDR="203.0.113.9"), "review", "bob", PASSWORD)
    other_address = sign_in(Client(REMOTE_ADDR="198.51.100.7"), "review", "eva", PASSWORD)

    assert blocked.status_code == 429
    assert other_user.status_code == 302
    assert other_address.status_code == 302


def test_the_block_ends_with_its_window(user, settings):
    settings.SIGNIN_WINDOW_SECONDS = 1
    client = Client()
    for _ in range(5):
        sign_in(client, "admin", "eva", "wrong")
    assert sign_in(client, "admin", "eva", PASSWORD).status_code == 429

    time.sleep(1.2)

    assert sign_in(client, "admin", "eva", PASSWORD).status_code == 302

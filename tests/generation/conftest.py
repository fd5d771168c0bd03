"""What the generation tests share: a user and an API client signed in with the user's token."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.generation.credits import PRICES


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def priced(settings):
    """Work costs credits (tests/conftest.py makes it free for every other test); staff are
    not charged; the create and regenerate throttles are out of the way."""
    settings.CREDIT_COSTS = dict(PRICES)
    settings.CHARGE_STAFF = False
    settings.API_THROTTLE_RATES = {
        **settings.API_THROTTLE_RATES,
        "batch_create": "1000/hour",
        "regenerate": "1000/hour",
    }
    return settings.CREDIT_COSTS

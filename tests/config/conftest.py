import logging

import pytest

from tests.config.api_helpers import token_client
from tests.factories import SlideTemplateFactory, UserFactory


@pytest.fixture
def no_errors_logged(caplog):
    """Nothing at ERROR or above reaches the logs (a 4xx is not our error)."""
    caplog.set_level(logging.WARNING)
    yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def api(user):
    """A client signed in with `user`'s token."""
    return token_client(user)


@pytest.fixture
def template():
    return SlideTemplateFactory(slug="business")

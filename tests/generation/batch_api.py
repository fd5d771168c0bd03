"""What the batch API's tests (test_api_batch_*.py) share: its address, sample outlines, a
user with a token client and a template (the fixtures `user`, `api` and `template`, which
each module binds by name), a finished batch and an error's body."""

import pytest

from generation.models import Batch
from generation.services.batches import batch_run
from tests.config.api_helpers import token_client
from tests.factories import SlideTemplateFactory, UserFactory, make_batch

BATCHES = "/api/v1/batches/"
SHORT_OUTLINE = "# Short deck\n\n### One\n- a\n- b\n\n### Two\n- c\n- d\n"
ZH_OUTLINE = "# 人工智能课堂\n\n### 为什么\n- 个性化学习\n- 即时反馈\n\n### 怎么做\n- 第一步：试点\n- 第二步：推广\n"


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def api(user):
    return token_client(user)


@pytest.fixture
def template():
    return SlideTemplateFactory(slug="business")


def finished_batch(owner, outline: str = SHORT_OUTLINE, **kwargs) -> Batch:
    return batch_run(batch=make_batch(owner=owner, outline=outline, **kwargs))


def error_of(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]

"""Listing batches through the API (mine only, newest first, filtered, paginated, in a fixed
number of queries; staff see all) and signing in by session or by a DRF token."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from generation.models import Batch, BatchStatus
from tests.factories import UserFactory, make_batch
from tests.generation import batch_api
from tests.generation.batch_api import BATCHES, error_of, token_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

# The user, client and template (tests/generation/batch_api.py), bound by name for pytest.
user, api, template = batch_api.user, batch_api.api, batch_api.template


def test_the_list_shows_only_my_batches_newest_first(api, user, template):
    first = make_batch(owner=user, template=template)
    second = make_batch(owner=user, template=template)
    make_batch(owner=UserFactory(), template=template)

    body = api.get(BATCHES).json()

    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [str(second.pk), str(first.pk)]
    assert body["next"] is None
    assert body["previous"] is None


def test_the_list_filters_by_status(api, user, template):
    make_batch(owner=user, template=template)
    cancelled = make_batch(owner=user, template=template)
    Batch.objects.filter(pk=cancelled.pk).update(status=BatchStatus.CANCELLED)

    body = api.get(BATCHES, {"status": "cancelled"}).json()

    assert [item["id"] for item in body["results"]] == [str(cancelled.pk)]


def test_an_unknown_status_filter_is_refused_naming_status(api):
    response = api.get(BATCHES, {"status": "sleeping"})

    assert response.status_code == 400
    assert list(error_of(response)["details"]) == ["status"]


def test_the_list_is_paginated_and_page_size_is_capped_at_100(api, user, template, settings):
    for _ in range(3):
        make_batch(owner=user, template=template)

    first = api.get(BATCHES, {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    capped = api.get(BATCHES, {"page_size": 1000}).json()

    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert len(second["results"]) == 1
    assert second["previous"]
    assert len(capped["results"]) == 3
    assert api.get(BATCHES, {"page": 9}).status_code == 404


def test_staff_see_every_users_batches(template):
    make_batch(owner=UserFactory(), template=template)
    make_batch(owner=UserFactory(), template=template)

    body = token_client(UserFactory(is_staff=True)).get(BATCHES).json()

    assert body["count"] == 2


def test_the_list_query_count_does_not_grow_with_the_number_of_batches(
    api, user, template, django_assert_max_num_queries
):
    make_batch(owner=user, template=template)
    with CaptureQueriesContext(connection) as one:
        api.get(BATCHES)
    for _ in range(5):
        make_batch(owner=user, template=template)

    with django_assert_max_num_queries(len(one)):
        response = api.get(BATCHES)

    assert response.json()["count"] == 6


# --- auth ----------------------------------------------------------------------------------


def test_session_authentication_works_too(user, template):
    make_batch(owner=user, template=template)
    client = APIClient()
    client.login(username=user.username, password="pw-for-tests-only")

    assert client.get(BATCHES).json()["count"] == 1


def test_a_token_made_by_drf_create_token_authenticates(user, template, capsys):
    make_batch(owner=user, template=template)
    call_command("drf_create_token", user.username)
    key = capsys.readouterr().out.split()[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.get(BATCHES).json()["count"] == 1

"""The review site's door and queue: who may see it, the queue's counts, and the next item
leased to an evaluator."""

import re

import pytest
from django.test import Client

from review.models import Assignment, Evaluation, ReviewItem
from tests.factories import UserFactory, make_review_items
from tests.review import review_site
from tests.review.review_site import client_for, lease, make_item

pytestmark = pytest.mark.django_db

# The evaluator and their client (tests/review/review_site.py), bound by name for pytest.
evaluator, client = review_site.evaluator, review_site.client


def row_counts(html: str, step: str) -> list[str]:
    """The numbers in the queue's row of `step`."""
    row = re.search(rf'<tr data-step="{step}">(.*?)</tr>', html, re.S).group(1)
    return re.findall(r'<td class="num[^"]*">(\d+)</td>', row)


# Who may see the site


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/review/"),
        ("get", "/review/next/"),
        ("get", "/review/items/1/"),
        ("post", "/review/items/1/"),
        ("post", "/review/items/1/skip/"),
    ],
)
def test_anonymous_users_are_sent_to_the_login_page(method, url):
    response = getattr(Client(), method)(url)

    assert response.status_code == 302
    assert response["Location"] == f"/review/login/?next={url}"


def test_the_login_page_signs_an_evaluator_in_to_the_queue(evaluator):
    client = Client()

    form = client.get("/review/login/")
    response = client.post(
        "/review/login/", {"username": evaluator.username, "password": "pw-for-tests-only"}
    )

    assert form.status_code == 200
    assert 'name="password"' in form.content.decode()
    assert (response.status_code, response["Location"]) == (302, "/review/")


@pytest.mark.parametrize("url", ["/review/", "/review/next/", "/review/items/1/"])
def test_signed_in_users_who_are_not_evaluators_get_403(url):
    (item,) = make_review_items(1)

    response = client_for(UserFactory()).get(url.replace("/1/", f"/{item.pk}/"))

    assert response.status_code == 403
    assert "Not an evaluator" in response.content.decode()
    assert not Assignment.objects.exists()


# The queue


def test_the_queue_counts_open_items_per_step_and_reason_and_todays_evaluations(client, evaluator):
    make_review_items(3)
    make_item("plan", reason="sampled")
    make_item("describe", reason="flagged")
    make_item("describe", reason="flagged")
    done = make_item("describe", reason="sampled")
    ReviewItem.objects.filter(pk=done.pk).update(status="done")
    Evaluation.objects.create(
        step_run=done.step_run, evaluator=evaluator, overall=7, verdict="accept"
    )

    html = client.get("/review/").content.decode()

    # columns: below threshold, sampled, flagged, requested, open
    assert row_counts(html, "plan") == ["0", "1", "0", "0", "1"]
    assert row_counts(html, "describe") == ["0", "0", "2", "0", "2"]
    assert row_counts(html, "render") == ["3", "0", "0", "0", "3"]
    assert '<td class="num total" id="open-total">6</td>' in html
    assert '<strong id="today-count">1</strong>' in html
    assert 'href="/review/next/?step=describe"' in html
    assert 'href="/review/next/"' in html


def test_the_queue_costs_the_same_queries_for_3_and_30_items(client, django_assert_max_num_queries):
    make_review_items(3)
    make_item("plan")
    client.get("/review/")  # warm up the session
    with django_assert_max_num_queries(10) as few:
        client.get("/review/")
    make_review_items(27)
    for _ in range(5):
        make_item("describe", reason="sampled")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/review/")

    assert '<td class="num total" id="open-total">36</td>' in response.content.decode()


# The next item


def test_next_leases_an_item_and_redirects_to_its_page_keeping_the_step(client, evaluator):
    (item,) = make_review_items(1)

    location = lease(client, "render")

    assert location == f"/review/items/{item.pk}/?step=render"
    assert Assignment.objects.get(evaluator=evaluator, state="leased").item == item


def test_an_empty_queue_sends_the_evaluator_back_with_a_message(client):
    response = client.get("/review/next/?step=plan", follow=True)

    assert response.redirect_chain == [("/review/", 302)]
    assert "Nothing left to review for plan" in response.content.decode()


def test_an_unknown_step_is_a_message_not_a_server_error(client):
    response = client.get("/review/next/?step=nope", follow=True)

    assert response.status_code == 200
    assert "There is no step" in response.content.decode()
    assert not Assignment.objects.exists()

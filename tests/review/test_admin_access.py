"""Who reaches what in the admin: evaluators see the review queue and the criteria and nothing
else (not even others' evaluations: scoring is blind); content staff see templates and batches."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from review.models import Evaluation
from tests.factories import UserFactory, make_review_items

pytestmark = pytest.mark.django_db


def staff_client(group: str) -> Client:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/admin/review/reviewitem/", 200),
        ("/admin/review/criterion/", 200),
        ("/admin/review/evaluation/", 403),
        ("/admin/review/stepthreshold/", 403),
        ("/admin/generation/batch/", 403),
        ("/admin/generation/steppolicy/", 403),
        ("/admin/templates_app/slidetemplate/", 403),
        ("/admin/auth/user/", 403),
    ],
)
def test_an_evaluator_in_the_admin_reaches_only_the_review_queue_and_criteria(url, status):
    assert staff_client("evaluators").get(url).status_code == status


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/admin/generation/batch/", 200),
        ("/admin/templates_app/slidetemplate/", 200),
        ("/admin/review/evaluation/", 403),
        ("/admin/auth/user/", 403),
    ],
)
def test_content_staff_reach_templates_and_batches(url, status):
    assert staff_client("content staff").get(url).status_code == status


def test_evaluations_are_a_record_in_the_admin_not_a_form(admin_client):
    item = make_review_items(1)[0]
    evaluation = Evaluation.objects.create(
        step_run=item.step_run, evaluator=UserFactory(), overall=6, verdict="accept"
    )

    assert admin_client.get("/admin/review/evaluation/add/").status_code == 403
    page = admin_client.get(f"/admin/review/evaluation/{evaluation.pk}/change/")
    assert page.status_code == 200
    assert 'name="overall"' not in page.content.decode()
    assert (
        admin_client.post(
            f"/admin/review/evaluation/{evaluation.pk}/change/", {"overall": 9}
        ).status_code
        == 403
    )
    evaluation.refresh_from_db()
    assert evaluation.overall == 6


def test_staff_export_selected_evaluations_from_the_admin(admin_client):
    item = make_review_items(1)[0]
    evaluation = Evaluation.objects.create(
        step_run=item.step_run,
        evaluator=UserFactory(),
        overall=6,
        verdict="reject",
        comment="标题太长",
    )

    for action, mime in (("export_csv", "text/csv"), ("export_jsonl", "application/jsonl")):
        response = admin_client.post(
            "/admin/review/evaluation/",
            {"action": action, "_selected_action": [evaluation.pk]},
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith(mime)
        assert "attachment" in response["Content-Disposition"]
        body = b"".join(response.streaming_content).decode()
        assert "标题太长" in body
        assert '"verdict": "reject"' in body or ",reject," in body

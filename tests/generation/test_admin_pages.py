"""The page admin: the versions strip ("use this version"), the regenerate and flag actions,
and fields that change only through services."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from generation.models import Page, PageStatus, StepRun
from generation.services.batches import batch_run
from generation.services.page_actions import page_regenerate
from generation.tasks import run_page
from tests.factories import UserFactory, make_batch
from tests.media import linked_names

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

STRIP_BUTTON = re.compile(r'formaction="([^"]+)" formmethod="post">Use this version</button>')


@pytest.fixture
def page() -> Page:
    """A page with two images: its first, and one drawn after its title changed."""
    batch = batch_run(batch=make_batch())
    page = batch.pages.get(index=4)
    Page.objects.filter(pk=page.pk).update(plan={**page.plan, "title": "Retitled"})
    page.refresh_from_db()
    page_regenerate(page=page, from_step="render")
    run_page(page.pk)
    page.refresh_from_db()
    return page


def change_url(page: Page) -> str:
    return f"/admin/generation/page/{page.pk}/change/"


def test_the_strip_shows_every_version_and_offers_the_others(admin_client, page):
    html = admin_client.get(change_url(page)).content.decode()

    renders = list(StepRun.objects.filter(page=page, step="render").order_by("started_at"))
    thumbnails = set(
        StepRun.objects.filter(page=page, step="finish").values_list("output_image", flat=True)
    )
    assert thumbnails <= linked_names(html)
    assert STRIP_BUTTON.findall(html) == [
        f"/admin/generation/page/{page.pk}/versions/{renders[0].pk}/select/"
    ]
    assert html.count('class="nd-version-badge">current<') == 1


def test_use_this_version_posts_the_change_form_with_its_csrf_token(page):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    html = browser.get(change_url(page)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    earlier = StepRun.objects.filter(page=page, step="render").earliest("started_at")

    response = browser.post(STRIP_BUTTON.findall(html)[0], {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert response["Location"] == change_url(page)
    page.refresh_from_db()
    assert (page.status, page.resume_step) == (PageStatus.PENDING, "finish")
    run_page(page.pk)
    page.refresh_from_db()
    assert page.image.name == earlier.output_image.name


def test_use_this_version_without_the_token_or_with_a_get_changes_nothing(page):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    earlier = StepRun.objects.filter(page=page, step="render").earliest("started_at")
    url = f"/admin/generation/page/{page.pk}/versions/{earlier.pk}/select/"

    assert browser.post(url).status_code == 403
    assert browser.get(url).status_code == 405
    page.refresh_from_db()
    assert page.status == PageStatus.COMPLETED


def test_another_pages_run_is_not_found_and_a_running_page_says_why(admin_client, page):
    other = StepRun.objects.filter(step="render").exclude(page=page).first()
    url = f"/admin/generation/page/{page.pk}/versions/{other.pk}/select/"
    assert admin_client.post(url).status_code == 404

    earlier = StepRun.objects.filter(page=page, step="render").earliest("started_at")
    Page.objects.filter(pk=page.pk).update(status=PageStatus.RUNNING)
    url = f"/admin/generation/page/{page.pk}/versions/{earlier.pk}/select/"
    response = admin_client.post(url, follow=True)

    assert "being generated right now" in response.content.decode()
    assert StepRun.objects.get(pk=earlier.pk).selected is False


def test_the_regenerate_action_runs_pages_again_from_describe(admin_client, page):
    others = page.batch.pages.exclude(pk=page.pk)
    Page.objects.filter(pk=others.first().pk).update(status=PageStatus.RUNNING)
    chosen = [page.pk, others.first().pk]

    response = admin_client.post(
        "/admin/generation/page/",
        {"action": "regenerate", "_selected_action": chosen},
        follow=True,
    )

    html = response.content.decode()
    page.refresh_from_db()
    assert (page.status, page.resume_step) == (PageStatus.PENDING, "describe")
    assert "queued to run again from describe" in html
    assert "being generated right now" in html


def test_the_flag_action_sends_the_image_to_review_naming_the_admin(admin_client, page):
    admin_client.post(
        "/admin/generation/page/", {"action": "flag_for_review", "_selected_action": [page.pk]}
    )

    page.refresh_from_db()
    assert page.flagged
    assert page.flag_reason == "flagged in the admin by admin"


def test_a_pages_fields_are_read_only_in_the_admin_but_what_it_shows(admin_client, page):
    html = admin_client.get(change_url(page)).content.decode()

    assert 'name="description"' not in html
    assert 'name="status"' not in html
    assert {"plan_title", "plan_subtitle", "plan_items", "plan_layout"} <= set(
        re.findall(r'name="(plan_\w+)"', html)
    )
    transition = page.batch.pages.get(kind="transition", index=3)
    html = admin_client.get(change_url(transition)).content.decode()
    assert set(re.findall(r'name="(plan_\w+)"', html)) == {"plan_title"}
    assert admin_client.get("/admin/generation/page/add/").status_code == 403


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def form_of(client, page: Page, **changes) -> dict:
    """The change form as a browser sends it: its hidden inputs (the step runs inline's
    management form and ids) and the page's content fields, with `changes`."""
    html = client.get(change_url(page)).content.decode()
    form = dict(HIDDEN.findall(html))
    form |= {
        "plan_title": page.plan["title"],
        "plan_subtitle": page.plan.get("subtitle", ""),
        "plan_items": json.dumps(page.plan["items"]),
        "plan_layout": page.plan.get("layout", "auto"),
    }
    return {**form, **changes}


def test_editing_what_a_page_shows_in_the_admin_runs_it_again(admin_client, page):
    items = [{"title": "Async first", "text": "write it down", "children": []}]

    response = admin_client.post(
        change_url(page),
        form_of(admin_client, page, plan_title="Edited", plan_items=json.dumps(items)),
    )

    assert response.status_code == 302
    page.refresh_from_db()
    assert (page.title, page.plan["items"]) == ("Edited", items)
    assert (page.status, page.resume_step) == (PageStatus.PENDING, "describe")


def test_a_wrong_edit_in_the_admin_is_shown_on_the_form_and_nothing_changes(admin_client, page):
    plan = dict(page.plan)
    bad = json.dumps([{"title": "", "text": ""}])

    response = admin_client.post(change_url(page), form_of(admin_client, page, plan_items=bad))

    assert response.status_code == 200
    assert "item 1 has neither title nor text" in response.content.decode()
    Page.objects.filter(pk=page.pk).update(status=PageStatus.RUNNING)
    response = admin_client.post(change_url(page), form_of(admin_client, page, plan_title="Now"))
    assert "is being generated right now" in response.content.decode()
    page.refresh_from_db()
    assert page.plan == plan


def test_who_may_only_view_pages_sees_the_plan_and_no_form(page):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_page"))
    browser = Client()
    browser.force_login(viewer)

    html = browser.get(change_url(page)).content.decode()

    assert "What the page shows" not in html
    assert "Retitled" in html  # the plan, read-only
    assert not STRIP_BUTTON.findall(html)

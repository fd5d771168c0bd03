"""The page view: the image and its versions, and what people do to one page (edit its text
and layout, regenerate with an instruction, retry, flag, bring back a version, delete)."""

import pytest
from django.urls import reverse

from generation.models import Batch, Page
from generation.services.batches import batch_run
from generation.tasks import run_page
from tests.factories import UserFactory, make_batch
from tests.webapp.test_deck_views import OUTLINE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def client_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def done(user) -> Batch:
    return batch_run(batch=make_batch(owner=user, outline=OUTLINE, options={"ending": False}))


def url(name: str, deck: Batch, index: int = 2, **kwargs) -> str:
    return reverse(f"app:{name}", kwargs={"batch_id": deck.pk, "index": index, **kwargs})


def edit(title: str = "Planning, weekly", items: str = "Weekly: one hour on Monday", **more):
    return {"plan-2-title": title, "plan-2-items": items, "plan-2-layout": "auto", **more}


def test_the_page_view_shows_the_image_the_versions_and_the_edit_form(client_in, done):
    response = client_in.get(url("page", done))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="slide-image"' in html
    assert "/media/signed/" in html
    assert html.count('class="version current"') == 1
    assert 'name="plan-2-title"' in html
    assert 'value="Planning"' in html
    assert "Weekly: one hour on Monday" in html
    assert "Regenerate with an instruction" not in html  # the local renderer takes edits


def test_a_page_that_does_not_exist_is_not_found(client_in, done):
    assert client_in.get(url("page", done, index=99)).status_code == 404


def test_editing_the_title_redraws_the_page_and_adds_a_version(client_in, done):
    response = client_in.post(url("page-edit", done), edit())

    assert response.status_code == 302
    assert response["Location"] == url("page", done)
    page = done.pages.get(index=2)
    assert (page.plan["title"], page.status) == ("Planning, weekly", "pending")
    run_page(page.pk)
    html = client_in.get(url("page", done)).content.decode()
    assert html.count('<li class="version') == 2
    assert html.count("Use this version") == 1


def test_an_empty_title_is_a_form_error_and_nothing_changes(client_in, done):
    before = done.pages.get(index=2).plan

    response = client_in.post(url("page-edit", done), edit(title="", items="typed, kept"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert "typed, kept" in html
    page = done.pages.get(index=2)
    assert (page.plan, page.status) == (before, "completed")


def test_text_that_does_not_fit_the_slide_is_refused_in_the_form(client_in, done):
    before = done.pages.get(index=2).plan
    long_items = "\n".join(f"Point {n}: " + "words that go on " * 12 for n in range(12))

    response = client_in.post(url("page-edit", done), edit(items=long_items))

    assert response.status_code == 400
    assert "does not fit" in response.content.decode()
    assert done.pages.get(index=2).plan == before


def test_an_unknown_layout_is_a_form_error(client_in, done):
    response = client_in.post(url("page-edit", done), edit(**{"plan-2-layout": "spiral"}))

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_saving_the_form_unchanged_says_nothing_changed(client_in, done):
    page = done.pages.get(index=2)
    items = "Weekly: one hour on Monday\nGoals: three per quarter"

    response = client_in.post(url("page-edit", done), edit(title=page.plan["title"], items=items))

    assert response.status_code == 400
    assert "Nothing changed." in response.content.decode()


def test_editing_a_page_being_drawn_is_refused_in_the_form(client_in, done):
    Page.objects.filter(batch=done, index=2).update(status="running")

    response = client_in.post(url("page-edit", done), edit())

    assert response.status_code == 400
    assert "being generated right now" in response.content.decode()
    assert done.pages.get(index=2).plan["title"] == "Planning"


def test_an_edit_costing_more_credits_than_the_balance_is_refused(client_in, done, settings):
    settings.CREDIT_COSTS = {**settings.CREDIT_COSTS, "deck_page": 5}

    response = client_in.post(url("page-edit", done), edit())

    assert response.status_code == 400
    assert "This needs 5 credits; you have 0." in response.content.decode()
    assert done.pages.get(index=2).plan["title"] == "Planning"


def test_an_image_model_page_regenerates_with_an_instruction(client_in, done):
    Batch.objects.filter(pk=done.pk).update(options={**done.options, "provider": "gemini"})
    assert "Regenerate with an instruction" in client_in.get(url("page", done)).content.decode()

    response = client_in.post(
        url("page-regenerate", done), {"instruction": "更大的标题, bolder", "mode": "redraw"}
    )

    assert response.status_code == 302
    page = done.pages.get(index=2)
    assert (page.status, page.instruction) == ("pending", "更大的标题, bolder")


def test_refine_without_an_image_model_is_refused_in_the_form(client_in, done):
    response = client_in.post(
        url("page-regenerate", done), {"instruction": "bolder", "mode": "refine"}
    )

    assert response.status_code == 400
    assert done.pages.get(index=2).status == "completed"


def test_an_empty_instruction_is_a_form_error(client_in, done):
    Batch.objects.filter(pk=done.pk).update(options={**done.options, "provider": "gemini"})

    response = client_in.post(url("page-regenerate", done), {"instruction": "", "mode": "redraw"})

    assert response.status_code == 400
    assert done.pages.get(index=2).status == "completed"


def test_flagging_sends_the_page_to_review(client_in, done):
    response = client_in.post(url("page-flag", done), {"reason": "文字太小"})

    assert response.status_code == 302
    page = done.pages.get(index=2)
    assert (page.flagged, page.flag_reason) == (True, "文字太小")


def test_flagging_without_a_reason_is_a_form_error(client_in, done):
    response = client_in.post(url("page-flag", done), {"reason": ""})

    assert response.status_code == 400
    assert not done.pages.get(index=2).flagged


def test_an_earlier_version_comes_back(client_in, done):
    client_in.post(url("page-edit", done), edit())
    page = done.pages.get(index=2)
    run_page(page.pk)
    first = page.step_runs.filter(step="render").order_by("started_at").first()

    response = client_in.post(url("page-version-select", done, run_id=first.pk))

    assert response.status_code == 302
    page.refresh_from_db()
    assert (page.status, page.resume_step, page.plan["title"]) == ("pending", "finish", "Planning")


def test_a_version_of_another_page_is_not_found(client_in, done):
    other = done.pages.get(index=1).step_runs.get(step="render")

    response = client_in.post(url("page-version-select", done, run_id=other.pk))

    assert response.status_code == 404


def test_deleting_a_page_moves_the_next_ones_up(client_in, done):
    count = done.pages.count()

    response = client_in.post(url("page-delete", done))

    assert response.status_code == 302
    assert done.pages.count() == count - 1
    assert done.pages.get(index=2).title == "Reviews"


def test_the_last_page_of_a_deck_cannot_be_deleted(client_in, user):
    deck = batch_run(batch=make_batch(owner=user, outline="# One page\n- just this"))
    for index in range(deck.pages.count(), 1, -1):
        client_in.post(url("page-delete", deck, index=index))

    response = client_in.post(url("page-delete", deck, index=1), follow=True)

    assert "at least one page" in response.content.decode()
    assert deck.pages.count() == 1


def test_another_users_page_actions_are_not_found(client, done):
    client.force_login(UserFactory())
    for name in ("page-edit", "page-regenerate", "page-retry", "page-flag", "page-delete"):
        assert client.post(url(name, done), edit()).status_code == 404
    assert done.pages.count() == 3


def test_edits_past_the_regenerate_throttle_are_refused_in_the_form(client_in, done, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "regenerate": "1/hour"}
    client_in.post(url("page-flag", done), {"reason": "not counted"})  # flags are not throttled
    assert client_in.post(url("page-edit", done), edit()).status_code == 302
    Page.objects.filter(batch=done, index=2).update(status="completed")

    response = client_in.post(url("page-edit", done), edit(title="Planning, again"))

    assert response.status_code == 400
    assert "Too many changes in a short time" in response.content.decode()
    assert done.pages.get(index=2).plan["title"] == "Planning, weekly"


def test_a_single_images_id_is_not_a_deck(client_in, user):
    image = make_batch(owner=user, outline="poster")
    Batch.objects.filter(pk=image.pk).update(kind="image")

    assert client_in.get(reverse("app:deck", kwargs={"batch_id": image.pk})).status_code == 404


def test_staff_see_anyones_deck(client, done):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(url("page", done)).status_code == 200


def test_a_chinese_edit_keeps_its_text_and_the_page_speaks_the_browsers_language(client_in, done):
    response = client_in.post(
        url("page-edit", done),
        edit(title="每周计划", items="周一：一小时\n目标：每季度三个"),
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh",
    )

    assert response.status_code == 302
    plan = done.pages.get(index=2).plan
    assert plan["title"] == "每周计划"
    assert plan["items"][0] == {"title": "周一", "text": "一小时", "children": []}
    html = client_in.get(url("page", done), HTTP_ACCEPT_LANGUAGE="zh-CN,zh").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "每周计划" in html

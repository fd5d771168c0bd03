"""A page's versions: every image its render step made, and bringing an earlier one back."""

import io
import zipfile

import pytest
from rest_framework.test import APIClient

from generation.models import Batch, BatchStatus, Page, PageStatus, StepRun
from generation.services.batches import batch_run
from generation.tasks import run_page
from tests.api_errors import error_of
from tests.factories import UserFactory, make_batch
from tests.media import signed_name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

OUTLINE = "# Versions\n\n### One\n- a point\n- another point\n\n### Two\n- c\n- d\n"


@pytest.fixture
def batch(user) -> Batch:
    return batch_run(batch=make_batch(owner=user, outline=OUTLINE))


@pytest.fixture
def page(api, batch) -> Page:
    """A page with two images: its first, and one drawn after its title changed."""
    page = batch.pages.get(index=2)
    plan = {**page.plan, "title": "One, retitled"}
    Page.objects.filter(pk=page.pk).update(plan=plan, title=plan["title"])
    assert (
        api.post(f"/api/v1/pages/{page.pk}/regenerate/", {"from_step": "render"}).status_code == 202
    )
    run_page(page.pk)
    page.refresh_from_db()
    assert page.status == PageStatus.COMPLETED
    return page


def versions_of(api, page: Page) -> list[dict]:
    response = api.get(f"/api/v1/pages/{page.pk}/versions/")
    assert response.status_code == 200
    return response.json()["results"]


def select(api, page: Page, run_id: object):
    return api.post(f"/api/v1/pages/{page.pk}/versions/{run_id}/select/")


def test_versions_list_every_image_of_the_render_step_oldest_first(api, page):
    versions = versions_of(api, page)

    renders = StepRun.objects.filter(page=page, step="render").order_by("started_at", "pk")
    assert [v["id"] for v in versions] == [run.pk for run in renders]
    assert len(versions) == 2
    assert [v["selected"] for v in versions] == [False, True]
    chosen = versions[1]
    page.refresh_from_db()
    assert signed_name(chosen["image"]) == page.image.name
    assert signed_name(chosen["thumbnail"]) == page.thumbnail.name
    # Each was the page's image once, each with the thumbnail made then.
    assert signed_name(versions[0]["thumbnail"]) != page.thumbnail.name
    assert all(v["select_url"].endswith(f"/versions/{v['id']}/select/") for v in versions)
    assert {v["provider"] for v in versions} == {"local"}


def test_an_image_that_was_never_the_page_image_has_no_thumbnail(api, page):
    first = StepRun.objects.filter(page=page, step="render").earliest("started_at")
    StepRun.objects.filter(
        page=page, step="finish", output_data__image=first.output_image.name
    ).delete()

    assert [v["thumbnail"] is None for v in versions_of(api, page)] == [True, False]


def test_a_failed_attempt_is_not_a_version(api, page):
    first = StepRun.objects.filter(page=page, step="render").earliest("started_at")
    StepRun.objects.filter(pk=first.pk).update(error_kind="transient", error_message="503")

    assert first.pk not in [v["id"] for v in versions_of(api, page)]


def test_selecting_an_earlier_version_makes_it_the_page_image_and_exports_follow(
    api, batch, page, django_capture_on_commit_callbacks
):
    earlier = versions_of(api, page)[0]

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = select(api, page, earlier["id"])

    assert response.status_code == 202
    assert (response.json()["status"], response.json()["resume_step"]) == ("pending", "finish")
    assert len(queued) == 1
    run_page(page.pk)  # what the worker does with the queued task
    page.refresh_from_db()
    chosen = StepRun.objects.get(pk=earlier["id"])
    assert page.status == PageStatus.COMPLETED
    assert page.image.name == chosen.output_image.name
    after = versions_of(api, page)
    assert [v["id"] for v in after if v["selected"]] == [earlier["id"]]
    assert signed_name(next(v for v in after if v["selected"])["thumbnail"]) == page.thumbnail.name
    exported = api.get(f"/api/v1/batches/{batch.pk}/export/", {"format": "zip"})
    with zipfile.ZipFile(io.BytesIO(b"".join(exported.streaming_content))) as deck:
        exported_slide = deck.read(f"slide-{page.index:02d}.png")
    assert exported_slide == chosen.output_image.open("rb").read()
    later = StepRun.objects.get(page=page, step="render", selected=False)
    assert later.output_image.open("rb").read() != exported_slide


def test_a_run_of_another_page_is_not_found_and_nothing_changes(api, batch, page):
    other = StepRun.objects.filter(page=batch.pages.get(index=1), step="render").first()

    error = error_of(select(api, page, other.pk), 404)

    assert error["code"] == "not_found"
    page.refresh_from_db()
    assert page.status == PageStatus.COMPLETED


@pytest.mark.parametrize("run_id", ["999999999", "1a", "-1"])
def test_a_version_id_that_names_nothing_is_not_found(api, page, run_id):
    assert error_of(select(api, page, run_id), 404)["code"] == "not_found"


def test_an_attempt_of_another_step_is_not_a_version(api, page):
    describe = StepRun.objects.filter(page=page, step="describe").first()

    error = error_of(select(api, page, describe.pk), 400)

    assert error["message"] == (
        f"step run {describe.pk} is not one of this page's images (see its versions)"
    )
    assert list(error["details"]) == ["run"]


def test_selecting_while_the_page_is_generated_is_a_conflict(api, page):
    earlier = StepRun.objects.filter(page=page, step="render", selected=False).first()
    Page.objects.filter(pk=page.pk).update(status=PageStatus.RUNNING)

    error = error_of(select(api, page, earlier.pk), 409)

    assert (
        error["message"] == "the page is being generated right now; try again when it has finished"
    )
    assert StepRun.objects.get(pk=earlier.pk).selected is False


def test_a_page_held_for_review_is_released_in_review_not_here(api, page):
    earlier = StepRun.objects.filter(page=page, step="render", selected=False).first()
    Page.objects.filter(pk=page.pk).update(status=PageStatus.HELD, resume_step="render")

    error = error_of(select(api, page, earlier.pk), 409)

    assert "held for review at render" in error["message"]


def test_a_cancelled_batch_keeps_its_images(api, batch, page):
    earlier = StepRun.objects.filter(page=page, step="render", selected=False).first()
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.CANCELLED)

    error = error_of(select(api, page, earlier.pk), 409)

    assert error["message"].startswith("the batch is cancelled")


def test_other_users_see_no_versions_and_select_none(batch, page):
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())
    run = StepRun.objects.filter(page=page, step="render").first()

    assert stranger.get(f"/api/v1/pages/{page.pk}/versions/").status_code == 404
    assert error_of(select(stranger, page, run.pk), 404)["code"] == "not_found"


def test_an_earlier_version_brings_back_the_text_it_shows(api, page):
    earlier, later = versions_of(api, page)

    response = select(api, page, earlier["id"])

    assert response.status_code == 202
    page.refresh_from_db()
    assert (page.title, page.plan["title"]) == ("One", "One")
    run_page(page.pk)
    assert select(api, page, later["id"]).status_code == 202
    page.refresh_from_db()
    assert (page.title, page.plan["title"]) == ("One, retitled", "One, retitled")


def test_a_sections_earlier_title_comes_back_on_the_contents_page(api, user):
    deck = batch_run(batch=make_batch(owner=user))  # sections Foundations, Practice
    section = deck.pages.get(plan__kind="transition", title="Practice")
    edits = {"from_step": "render", "edits": {"title": "In practice"}}
    assert (
        api.post(f"/api/v1/pages/{section.pk}/regenerate/", edits, format="json").status_code == 202
    )
    for page_id in deck.pages.exclude(status=PageStatus.COMPLETED).values_list("pk", flat=True):
        run_page(page_id)
    first = versions_of(api, section)[0]

    assert select(api, section, first["id"]).status_code == 202

    contents = deck.pages.get(plan__kind="contents")
    assert [item["title"] for item in contents.plan["items"]] == ["Foundations", "Practice"]
    assert (contents.status, contents.resume_step) == (PageStatus.PENDING, "describe")

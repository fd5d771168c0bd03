"""The review site: evaluators sign in, see the queue, judge leased items and skip them."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from generation.models import Batch, Page, StepRun
from review.models import Assignment, Evaluation, ReviewItem, Score
from tests.factories import RENDER_SCORES, UserFactory, make_batch, make_review_items
from tests.media import linked_names

pytestmark = pytest.mark.django_db

ZH_OUTLINE = """# 人工智能走进课堂
面向中小学教师的实践指南

## 认识课堂中的人工智能
### 什么是教育人工智能
- 基本含义：让机器完成识别、推理和生成等任务的技术
"""


def make_evaluator() -> User:
    user = UserFactory()
    user.groups.add(Group.objects.get(name="evaluators"))
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def evaluator() -> User:
    return make_evaluator()


@pytest.fixture
def client(evaluator) -> Client:
    return client_for(evaluator)


def make_item(
    step: str, *, outline: str | None = None, reason: str = "below_threshold", **run: object
) -> ReviewItem:
    """A review item of `step` on page 1 of a new batch (or of the batch, for plan)."""
    batch = make_batch(**({"outline": outline} if outline else {}))
    page = None
    if step != "plan":
        page = Page.objects.create(
            batch=batch,
            index=1,
            kind="content",
            title="Why remote works",
            description="A calm slide: three focus tips on the left, a desk photo on the right.",
            plan={
                "kind": "content",
                "title": "Why remote works",
                "items": [{"title": "Focus time", "text": "fewer interruptions", "children": []}],
            },
        )
    step_run = StepRun.objects.create(
        batch=batch,
        page=page,
        step=step,
        attempt=1,
        threshold=7,
        score=run.pop("score", 5.0),
        started_at=timezone.now(),
        **run,
    )
    return ReviewItem.objects.create(step_run=step_run, step=step, reason=reason)


def png() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), "#1f3a5f").save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="slide.png")


def lease(client: Client, step: str = "") -> str:
    """Ask for the next item; the URL of the item page it redirects to."""
    response = client.get("/review/next/" + (f"?step={step}" if step else ""))
    assert response["Location"].startswith("/review/items/")
    return response["Location"]


def page_of(client: Client, step: str = "") -> str:
    response = client.get(lease(client, step))
    assert response.status_code == 200
    return response.content.decode()


def form_data(scores: dict | None = None, **fields: str) -> dict:
    data = {f"score_{key}": value for key, value in (scores or RENDER_SCORES).items()}
    return {
        **data,
        "verdict": "accept",
        "comment": "",
        "instruction": "",
        "seconds": "12",
        **fields,
    }


def row_counts(html: str, step: str) -> list[str]:
    """The numbers in the queue's row of `step`."""
    row = re.search(rf'<tr data-step="{step}">(.*?)</tr>', html, re.S).group(1)
    return re.findall(r'<td class="num[^"]*">(\d+)</td>', row)


def checked(html: str, name: str, value: str) -> bool:
    return bool(re.search(rf'<input type="radio" name="{name}" value="{value}"[^>]*checked', html))


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


# The item page


def test_a_render_item_shows_description_and_reference_beside_the_generated_image(client):
    item = make_item("render", metrics={"ocr_cer": 0.25}, hints=["ocr_mismatch"])
    item.step_run.output_image.save("slide.png", png())

    html = page_of(client, "render")

    assert "three focus tips on the left" in html
    assert 'alt="Template reference image"' in html
    assert item.step_run.output_image.name in linked_names(html)
    assert 'id="zoom"' in html
    for key in RENDER_SCORES:  # one control per active criterion, with its description
        assert f'name="score_{key}"' in html
    assert "every word right, sharp and readable" in html
    assert "ocr_mismatch" in html


def test_a_plan_item_shows_the_outline_beside_the_page_list(client):
    pages = [
        {"kind": "cover", "title": "Remote Work Playbook", "items": []},
        {"kind": "content", "title": "Tools compared", "items": [{"title": "Chat vs email"}]},
    ]
    make_item("plan", output_data={"pages": pages})

    html = page_of(client, "plan")

    assert "# Remote Work Playbook" in html  # the outline as written
    assert "<strong>Tools compared</strong>" in html
    assert "<strong>Chat vs email</strong>" in html
    assert 'name="score_completeness"' in html


def test_a_describe_item_shows_the_plan_beside_the_description(client):
    make_item("describe", output_text="Left: three tips. Right: a photo of a quiet desk.")

    html = page_of(client, "describe")

    assert "<strong>Why remote works</strong>" in html
    assert "fewer interruptions" in html
    assert "a photo of a quiet desk" in html
    assert 'name="score_faithfulness"' in html


@pytest.mark.parametrize(("reason", "is_open"), [("sampled", False), ("below_threshold", True)])
def test_metrics_are_closed_for_sampled_items_and_open_otherwise(client, reason, is_open):
    make_item("render", reason=reason)

    html = page_of(client)

    assert ('<details id="metrics" class="card metrics" open>' in html) is is_open
    assert '<details id="metrics"' in html


def test_ocr_text_is_shown_expected_beside_recognised(client):
    boxes = [{"role": "title", "expected": "为什么", "got": "为什公", "cer": 0.33, "diff": "么→公"}]
    make_item("render", metrics={"ocr_cer": 0.33, "ocr_boxes": boxes})

    html = page_of(client)

    assert "<td>为什么</td><td>为什公</td>" in html


def test_other_evaluators_judgements_never_reach_the_page(client):
    make_review_items(1, overlap=2)
    other = client_for(make_evaluator())
    other.post(lease(other), form_data(comment="other-evaluators-secret", seconds="77"))
    assert Evaluation.objects.count() == 1

    html = page_of(client)

    assert "other-evaluators-secret" not in html
    assert not any(checked(html, f"score_{key}", str(v)) for key, v in RENDER_SCORES.items())
    assert "overall" not in html


def test_the_lease_expiry_is_shown(client, evaluator):
    make_review_items(1)

    html = page_of(client)

    until = Assignment.objects.get(evaluator=evaluator).leased_until
    assert f'<time datetime="{until.isoformat()}">' in html


def test_an_item_not_leased_to_you_sends_you_to_the_next_with_a_message(client):
    _first, second = make_review_items(2)

    response = client.get(f"/review/items/{second.pk}/?step=render")

    assert response.status_code == 302
    assert response["Location"] == "/review/next/?step=render"
    assert "is not leased to you" in client.get("/review/").content.decode()


def test_chinese_content_renders_with_its_lang(client):
    make_item(
        "describe",
        outline=ZH_OUTLINE,
        output_text="左侧三条要点，右侧是一张安静书桌的照片。",
    )

    html = page_of(client)

    assert '<div class="text" lang="zh">左侧三条要点，右侧是一张安静书桌的照片。</div>' in html
    assert '<html lang="en">' in html


# Submitting


def test_a_valid_submission_stores_the_evaluation_and_loads_the_next_item(client, evaluator):
    first, _second = make_review_items(2)
    url = lease(client, "render")

    response = client.post(url, form_data(comment="tight spacing", seconds="42"))

    assert response.status_code == 302
    assert response["Location"] == "/review/next/?step=render"
    evaluation = Evaluation.objects.get()
    assert (evaluation.step_run, evaluation.evaluator) == (first.step_run, evaluator)
    assert (evaluation.verdict, evaluation.comment, evaluation.seconds_spent) == (
        "accept",
        "tight spacing",
        42,
    )
    assert {s.criterion.key: s.value for s in evaluation.scores.all()} == RENDER_SCORES
    assert client.get(response["Location"])["Location"] != url  # the next item, not this one


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"score_layout": ""}, "score_layout"),
        ({"score_layout": "0"}, "score_layout"),
        ({"score_layout": "11"}, "score_layout"),
        ({"verdict": "regenerate", "instruction": "  "}, "instruction"),
    ],
)
def test_invalid_submissions_answer_400_keep_the_input_and_store_nothing(client, changes, field):
    make_review_items(1)
    drawn_by_an_image_model()
    url = lease(client)

    response = client.post(url, {**form_data(comment="keep me please"), **changes})

    assert response.status_code == 400
    html = response.content.decode()
    assert "keep me please</textarea>" in html
    assert checked(html, "score_relevance", "5")
    assert checked(html, "verdict", changes.get("verdict", "accept"))
    assert response.context["form"].errors[field]
    assert 'class="errorlist' in html
    assert not Evaluation.objects.exists()
    assert not Score.objects.exists()


def test_submitting_an_item_not_leased_to_you_stores_nothing_and_says_why(client):
    (item,) = make_review_items(1)

    response = client.post(f"/review/items/{item.pk}/", form_data(comment="kept"))

    assert response.status_code == 409
    html = response.content.decode()
    assert "this item is not leased to you" in html
    assert "kept</textarea>" in html
    assert not Evaluation.objects.exists()


def test_an_expired_lease_keeps_the_input_and_answers_409(client, evaluator):
    make_review_items(1)
    url = lease(client)
    Assignment.objects.filter(evaluator=evaluator).update(
        leased_until=timezone.now() - timedelta(seconds=1)
    )

    response = client.post(url, form_data(comment="written slowly"))

    assert response.status_code == 409
    assert "written slowly</textarea>" in response.content.decode()
    assert not Evaluation.objects.exists()


def drawn_by_an_image_model() -> None:
    """The pages are drawn by an image model (gemini): regenerate takes free text."""
    for batch in Batch.objects.all():
        Batch.objects.filter(pk=batch.pk).update(options={**batch.options, "provider": "gemini"})


def test_regenerate_stores_the_instruction(client):
    (item,) = make_review_items(1)
    Batch.objects.filter(pk=item.step_run.batch_id).update(status="running")
    drawn_by_an_image_model()

    response = client.post(lease(client), form_data(verdict="regenerate", instruction="更大的标题"))

    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.verdict, evaluation.instruction) == ("regenerate", "更大的标题")


@pytest.mark.parametrize(("sent", "stored"), [("-5", 0), ("999999", 900), ("", 0)])
def test_seconds_spent_is_clamped_to_the_lease(client, settings, sent, stored):
    settings.NANODECK = {**settings.NANODECK, "REVIEW_LEASE_SECONDS": 900}
    make_review_items(1)

    client.post(lease(client), form_data(seconds=sent))

    assert Evaluation.objects.get().seconds_spent == stored


# Skipping


def test_a_skipped_item_is_not_shown_again(client, evaluator):
    first, second = make_review_items(2)
    assert lease(client) == f"/review/items/{first.pk}/"

    response = client.post(f"/review/items/{first.pk}/skip/?step=render")

    assert response["Location"] == "/review/next/?step=render"
    assert Assignment.objects.get(item=first, evaluator=evaluator).state == "skipped"
    assert lease(client, "render") == f"/review/items/{second.pk}/?step=render"
    client.post(f"/review/items/{second.pk}/skip/")
    assert client.get("/review/next/")["Location"] == "/review/"


def test_skip_only_accepts_post(client):
    (item,) = make_review_items(1)

    assert client.get(f"/review/items/{item.pk}/skip/").status_code == 405

"""The review site's item page: what it shows of each step's output beside its input, what
it keeps closed, and what it never shows (other evaluators' judgements)."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from review.models import Assignment, Evaluation
from tests.factories import RENDER_SCORES, make_review_items
from tests.media import linked_names
from tests.review import review_site
from tests.review.review_site import (
    checked,
    client_for,
    form_data,
    lease,
    make_evaluator,
    make_item,
    page_of,
)

pytestmark = pytest.mark.django_db

# The evaluator and their client (tests/review/review_site.py), bound by name for pytest.
evaluator, client = review_site.evaluator, review_site.client


ZH_OUTLINE = """# 人工智能走进课堂
面向中小学教师的实践指南

## 认识课堂中的人工智能
### 什么是教育人工智能
- 基本含义：让机器完成识别、推理和生成等任务的技术
"""


def png() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), "#1f3a5f").save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="slide.png")


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

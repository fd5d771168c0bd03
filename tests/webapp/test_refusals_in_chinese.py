"""The services' refusals in the person's language: each web surface that shows a service's
message (sign-up, a new deck, a page edit, an image's pictures) says it in Chinese when the UI
is in Chinese (Accept-Language, the language cookie or the switch) and in English otherwise;
the API answers in the request's language with its one error shape, unescaped UTF-8."""

import io

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from generation.models import Batch, Page, Upload
from generation.services.batches import batch_plan, batch_run
from tests.api_errors import error_of
from tests.factories import UserFactory, make_batch
from tests.generation.credits import THREE_PAGES
from tests.webapp.test_deck_views import OUTLINE
from tests.webapp.test_deck_views import url as deck_url
from tests.webapp.test_new_deck import NEW as NEW_DECK
from tests.webapp.test_new_deck import form
from tests.webapp.test_page_views import edit, url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_ocr")]

SIGNUP = "/signup/"
ACCOUNT = {"username": "ada", "email": "ada@example.com", "password": "a-long-Passphrase-42"}
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def errors(response, field: str) -> str:
    return " ".join(response.context["form"].errors[field])


@pytest.mark.parametrize(
    ("headers", "words"),
    [(CHINESE, "用户名：该用户名已被占用"), ({}, "username: that username is taken")],
)
def test_a_taken_username_is_refused_in_the_pages_language(client, headers, words):
    UserFactory(username="Ada", email="other@example.com")

    response = client.post(SIGNUP, ACCOUNT, **headers)

    assert response.status_code == 400
    assert errors(response, "username") == words
    assert words in response.content.decode()


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (CHINESE, "这份大纲会生成 3 页幻灯片，上限为 1 页（MAX_PAGES_PER_BATCH）"),
        ({}, "the outline makes 3 slides; the limit is 1 (MAX_PAGES_PER_BATCH)"),
    ],
)
def test_an_outline_over_the_page_limit_is_refused_in_the_pages_language(
    signed_in, template, settings, headers, words
):
    settings.NANODECK = {**settings.NANODECK, "MAX_PAGES_PER_BATCH": 1}

    response = signed_in.post(NEW_DECK, form(template, outline=THREE_PAGES), **headers)

    assert response.status_code == 400
    assert errors(response, "outline").startswith(words)
    assert not Batch.objects.exists()


def test_an_empty_outline_is_refused_in_chinese(signed_in, template):
    response = signed_in.post(NEW_DECK, form(template, outline=""), **CHINESE)

    assert response.status_code == 400
    assert errors(response, "outline") == "大纲为空"


def test_drafting_with_the_local_provider_is_refused_in_chinese(signed_in, template):
    body = form(template, action="draft", outline="", brief="A talk on remote work")

    response = signed_in.post(NEW_DECK, body, **CHINESE)

    assert response.status_code == 400
    assert errors(response, "text_provider").startswith("把简介写成大纲需要文本模型")


@pytest.mark.usefixtures("no_ocr")
def test_editing_a_page_being_drawn_is_refused_in_chinese_with_the_language_cookie(signed_in, user):
    deck = batch_run(batch=make_batch(owner=user, outline=OUTLINE, options={"ending": False}))
    Page.objects.filter(batch=deck, index=2).update(status="running")
    signed_in.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = signed_in.post(url("page-edit", deck), edit())

    assert response.status_code == 400
    assert "第 2 页（Planning）正在生成中；请在当前步骤完成后再试" in response.content.decode()
    assert deck.pages.get(index=2).plan["title"] == "Planning"
    signed_in.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    english = signed_in.post(url("page-edit", deck), edit()).content.decode()
    assert "page 2 (Planning) is being generated right now" in english


def gif(name: str = "kite.gif") -> SimpleUploadedFile:
    data = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(data, format="GIF")
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/gif")


@pytest.mark.parametrize(
    ("upload", "chinese", "english"),
    [
        (gif, "kite.gif：这是 GIF 图片；上传的图片必须是 PNG、JPEG 或 WebP", "a GIF image"),
        (
            lambda: SimpleUploadedFile("x.png", b"not a picture"),
            "x.png：不是本服务器能读取的图片（PNG、JPEG 或 WebP）",
            "x.png: not an image this server reads",
        ),
    ],
)
def test_a_refused_picture_is_named_in_the_language_chosen_with_the_switch(
    signed_in, template, upload, chinese, english
):
    body = {"prompt": "A red kite", "mode": "image", "aspect_ratio": "1:1"}
    body |= {"quality": "standard", "provider": "local"}
    signed_in.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})

    response = signed_in.post("/images/new/", {**body, "files": [upload()]})

    assert response.status_code == 400
    assert errors(response, "files") == chinese
    signed_in.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert english in errors(signed_in.post("/images/new/", {**body, "files": [upload()]}), "files")
    assert not Upload.objects.exists()


def test_the_api_answers_a_refusal_in_the_requests_language_in_its_one_shape(client):
    UserFactory(username="ada", email="other@example.com")
    register = "/api/v1/auth/register/"

    response = client.post(register, ACCOUNT, content_type="application/json", **CHINESE)

    error = error_of(response, 400)
    assert error == {
        "code": "invalid",
        "message": "用户名：该用户名已被占用",
        "details": {"username": ["用户名：该用户名已被占用"]},
    }
    assert "用户名".encode() in response.content  # UTF-8 as it is, not \\u escapes
    english = error_of(client.post(register, ACCOUNT, content_type="application/json"), 400)
    assert english["message"] == "username: that username is taken"


def test_a_batch_status_in_a_refusal_is_a_chinese_word_and_the_raw_value_in_english(
    signed_in, user
):
    deck = batch_plan(batch=make_batch(owner=user, outline=OUTLINE))
    signed_in.post(deck_url("deck-cancel", deck))

    chinese = signed_in.post(deck_url("deck-cancel", deck), follow=True, **CHINESE)

    assert "该批次已经是“已取消”状态" in chinese.content.decode()
    assert "cancelled" not in chinese.content.decode().split("该批次已经是")[1][:20]
    english = signed_in.post(deck_url("deck-cancel", deck), follow=True)
    assert "the batch is already cancelled" in english.content.decode()
    api = signed_in.post(f"/api/v1/batches/{deck.pk}/cancel/", **CHINESE)
    assert error_of(api, 409)["message"] == "该批次已经是“已取消”状态"

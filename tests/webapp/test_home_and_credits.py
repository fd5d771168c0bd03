"""Home (my decks, my images, my balance; paginated) and the credits page (balance, ledger)."""

import pytest

from generation.models import Batch
from generation.services.batches import batch_run
from generation.services.images import image_create
from tests.factories import UserFactory, make_batch
from tests.generation.credits import THREE_PAGES, give

pytestmark = pytest.mark.django_db


def test_home_lists_my_decks_and_images_not_others(signed_in, user, template):
    mine = make_batch(owner=user, template=template, title="My own deck")
    make_batch(owner=UserFactory(), template=template, title="Someone else's deck")
    image = image_create(owner=user, prompt="A lighthouse at dawn", enqueue=False)
    give(user, 7)
    page = signed_in.get("/").content.decode()
    assert "My own deck" in page
    assert f"/decks/{mine.pk}/" in page
    assert "Someone else" not in page
    assert f"/images/{image.pk}/" in page
    assert "A lighthouse at dawn" in page
    assert "7 credits" in page


def test_a_finished_deck_shows_its_cover(signed_in, user, template, settings):
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    deck = batch_run(batch=make_batch(owner=user, template=template, outline=THREE_PAGES))
    response = signed_in.get("/")
    cover = deck.pages.get(index=1)
    assert response.context["decks"][0].cover_pages == [cover]
    assert 'src="/media/signed/' in response.content.decode()


def test_home_pages_through_many_decks(signed_in, user, template):
    for number in range(14):
        make_batch(owner=user, template=template, title=f"Deck {number:02d}")
    first = signed_in.get("/")
    assert len(first.context["decks"].object_list) == 12
    assert "?decks=2" in first.content.decode()
    second = signed_in.get("/?decks=2")
    assert [b.title for b in second.context["decks"]] == ["Deck 01", "Deck 00"]
    assert signed_in.get("/?decks=nonsense").status_code == 200


def test_home_without_work_invites_to_make_some(signed_in):
    page = signed_in.get("/").content.decode()
    assert "No decks yet." in page
    assert "No images yet." in page
    assert 'href="/decks/new/"' in page
    assert 'href="/images/new/"' in page


def test_the_credits_page_shows_the_balance_and_the_ledger_newest_first(signed_in, user):
    give(user, 5)
    give(user, 3)
    response = signed_in.get("/credits/")
    assert response.status_code == 200
    assert response.context["credits"] == {"balance": 8, "held": 0}
    entries = list(response.context["entries"])
    assert [e.amount for e in entries] == [3, 5]
    assert "Granted" in response.content.decode()


def test_the_ledger_is_paginated(signed_in, user):
    for amount in range(1, 28):
        give(user, amount)
    assert len(signed_in.get("/credits/").context["entries"].object_list) == 25
    assert [e.amount for e in signed_in.get("/credits/?page=2").context["entries"]] == [2, 1]


@pytest.mark.parametrize("asked", ["zh-hans", "zh-CN,zh;q=0.9,en;q=0.8"])
def test_the_pages_speak_chinese_when_asked(signed_in, asked):
    page = signed_in.get("/", HTTP_ACCEPT_LANGUAGE=asked).content.decode()
    assert "我的作品" in page
    assert 'lang="zh-hans"' in page


def test_the_language_switch_sets_chinese(signed_in):
    response = signed_in.post("/i18n/setlang/", {"language": "zh-hans", "next": "/credits/"})
    assert response["Location"] == "/credits/"
    assert "余额" in signed_in.get("/credits/").content.decode()


def test_no_batch_of_mine_is_counted_twice_in_the_grid(signed_in, user, template):
    make_batch(owner=user, template=template)
    assert Batch.objects.count() == len(signed_in.get("/").context["decks"].object_list)

"""Single images cost credits by size: creating one reserves its price, the finished image
captures it, a failed one gives it back, a regenerate reserves again, and short credits are
a 402 that stores and queues nothing."""

import pytest

from generation.models import Batch, CreditEntry, Upload
from generation.providers import registry
from generation.providers.base import ErrorKind, ProviderError
from generation.providers.local import LocalProvider
from generation.tasks import run_page
from tests.api_errors import error_of
from tests.factories import SlideTemplateFactory
from tests.generation.credits import balance, give, ledger
from tests.generation.test_api_images import upload

pytestmark = pytest.mark.django_db

IMAGES = "/api/v1/images/"


class BlockingProvider(LocalProvider):
    """Every image it is asked for is refused (content_blocked: not retried)."""

    name = "blocking"

    def generate(self, request):
        raise ProviderError(ErrorKind.CONTENT_BLOCKED, "blocked for the test")


@pytest.fixture(autouse=True)
def _setup(settings, monkeypatch, priced):
    SlideTemplateFactory(slug="warm")
    settings.NANODECK = {**settings.NANODECK, "OCR_ENABLED": False}
    monkeypatch.setitem(
        registry.PROVIDERS, BlockingProvider.name, f"{__name__}.{BlockingProvider.__qualname__}"
    )


def draw(api, **body):
    return api.post(IMAGES, {"prompt": "A lighthouse at dawn", **body}, format="json")


def image_of(response) -> Batch:
    return Batch.objects.get(pk=response.json()["id"])


def test_an_image_reserves_its_price_by_size_and_the_finished_image_captures_it(api, user):
    give(user, 10)

    response = draw(api, size="2K")

    assert response.status_code == 202, response.json()
    assert response.json()["credits"] == {"spent": 0, "held": 2}
    assert balance(user) == (8, 2)
    run_page(image_of(response).pages.get().pk)
    assert balance(user) == (8, 0)
    assert ledger(user)[1:] == [("reserve", 2), ("capture", 2)]
    detail = api.get(f"{IMAGES}{response.json()['id']}/").json()
    assert detail["credits"] == {"spent": 2, "held": 0}
    assert api.get(IMAGES).json()["results"][0]["credits"] == {"spent": 2, "held": 0}


def test_an_image_the_provider_refuses_gives_its_credits_back(api, user):
    give(user, 10)

    response = draw(api, size="4K", provider="blocking")

    assert response.status_code == 202, response.json()
    run_page(image_of(response).pages.get().pk)
    assert balance(user) == (10, 0)
    assert ledger(user)[1:] == [("reserve", 4), ("release", 4)]


def test_an_image_that_costs_more_than_the_balance_is_a_402_that_stores_nothing(api, user):
    give(user, 1)

    response = draw(api, size="2K")

    error = error_of(response, 402)
    assert error["code"] == "insufficient_credits"
    assert error["details"] == {"needed": 2, "balance": 1}
    assert not Batch.objects.filter(kind="image").exists()
    assert balance(user) == (1, 0)


def test_an_image_of_exactly_the_balance_is_drawn(api, user):
    give(user, 1)

    assert draw(api, size="1K").status_code == 202
    assert balance(user) == (0, 1)


def test_a_402_for_image_to_image_leaves_the_upload_unused(api, user):
    uploaded = Upload.objects.get(pk=upload(api))

    response = draw(api, mode="image", references=[uploaded.pk], size="1K")

    error_of(response, 402)
    uploaded.refresh_from_db()
    assert uploaded.used_at is None
    assert not Batch.objects.filter(kind="image").exists()


def test_regenerating_an_image_reserves_its_price_again(api, user):
    give(user, 5)
    image = image_of(draw(api, size="2K"))
    page = image.pages.get()
    run_page(page.pk)

    response = api.post(
        f"/api/v1/pages/{page.pk}/regenerate/", {"from_step": "render"}, format="json"
    )

    assert response.status_code == 202, response.json()
    assert balance(user) == (1, 2)
    run_page(page.pk)
    assert balance(user) == (1, 0)
    assert CreditEntry.objects.filter(batch=image, kind="capture").count() == 2


def test_staff_draw_images_without_being_charged(api, user):
    user.is_staff = True
    user.save()

    assert draw(api, size="4K").status_code == 202
    assert balance(user) == (0, 0)


def test_an_image_retried_with_its_idempotency_key_is_drawn_and_charged_once(api, user):
    give(user, 10)
    headers = {"HTTP_IDEMPOTENCY_KEY": "image-7f3c"}

    first = api.post(IMAGES, {"prompt": "A lighthouse"}, format="json", **headers)
    again = api.post(IMAGES, {"prompt": "A lighthouse"}, format="json", **headers)

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Batch.objects.filter(kind="image").count() == 1
    assert balance(user) == (9, 1)
    other = api.post(IMAGES, {"prompt": "A harbour"}, format="json", **headers)
    assert error_of(other, 409)["code"] == "conflict"

# The loopback `server` fixture is imported from the providers' conftest; test arguments that
# name it are not redefinitions.
"""Current Gemini models: each request shaped to what its model accepts (checked at the
loopback server), and a clear answer, before any call, for a model Google has shut down."""

import base64
from datetime import date

import pytest

from generation.errors import InvalidInput
from generation.models import Batch
from generation.options import BatchOptions
from generation.providers.base import ErrorKind, ImageRequest
from generation.providers.gemini import GeminiProvider, image_call
from generation.providers.gemini_models import (
    IMAGE_MODELS,
    image_model_problem,
    text_model_problem,
)
from generation.providers.health import provider_health
from generation.providers.pricing import image_cost
from generation.providers.registry import image_provider, text_provider
from tests.factories import SlideTemplateFactory, UserFactory
from tests.generation.batch_api import BATCHES, error_of, token_client
from tests.generation.providers.conftest import API_KEY, png, raises

EN_OUTLINE = "# Tides\n\n### Why\n- the moon\n- the sun\n"
NOT_FOUND = {
    "error": {
        "code": 404,
        "message": "models/gemini-3-pro-image is not found for API version v1beta, or is not "
        "supported for generateContent. Call ListModels to see the list of available models "
        "and their supported methods.",
        "status": "NOT_FOUND",
    }
}


@pytest.fixture
def configure(server, settings):
    def configure(*, image: str = "gemini-3-pro-image", text: str = "gemini-3.8-flash") -> None:
        settings.PROVIDER_SETTINGS = {
            **settings.PROVIDER_SETTINGS,
            "gemini": {
                "api_key": API_KEY,
                "base_url": server.url,
                "image_model": image,
                "text_model": text,
            },
        }
        settings.PROVIDER_TIMEOUT_SECONDS = 2

    configure()
    return configure


def image_answer(size: tuple[int, int] = (160, 90)) -> tuple[int, dict, dict]:
    part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png(size)).decode()}}
    return 200, {}, {"candidates": [{"content": {"parts": [part]}, "finishReason": "STOP"}]}


def drawn(server, model: str, **fields: object) -> tuple[dict, float]:
    """The imageConfig and reference count the loopback server got for one image, and the cost."""
    server.script(image_answer())
    request = ImageRequest(**{"prompt": "A slide about tides", "size": (160, 90), **fields})
    result = image_provider("gemini", model).generate(request)
    received = server.received[-1]
    assert received.path == f"/v1beta/models/{model}:generateContent"
    body = received.json()
    config = body["generationConfig"]["imageConfig"]
    config["references"] = len(body["contents"][0]["parts"]) - 1
    return config, result.cost_usd


# Requests shaped per model


@pytest.mark.parametrize(
    ("model", "quality", "params", "size", "cost"),
    [
        ("gemini-3-pro-image", "standard", {}, "1K", 0.134),
        ("gemini-3-pro-image", "hd", {"image_size": "4K"}, "4K", 0.24),
        ("gemini-3.1-flash-image", "hd", {}, "2K", 0.101),
        ("gemini-nano-banana-2.1", "standard", {"image_size": "4K"}, "4K", 0.151),
        # 1K only: a 2K or 4K request is laddered down to what the model draws
        ("gemini-3.1-flash-lite-image", "hd", {}, "1K", 0.0336),
        ("gemini-3.1-flash-lite-image", "standard", {"image_size": "4K"}, "1K", 0.0336),
    ],
)
def test_the_size_sent_is_one_the_model_accepts(
    configure, server, model, quality, params, size, cost
):
    config, paid = drawn(server, model, quality=quality, params=params)

    assert config["imageSize"] == size
    assert paid == pytest.approx(cost)


@pytest.mark.parametrize(
    ("model", "ratio"),
    [
        ("gemini-3-pro-image", "21:9"),  # its widest
        ("gemini-3.1-flash-image", "8:1"),
        ("gemini-3.1-flash-lite-image", "8:1"),
        ("gemini-nano-banana-2.1", "8:1"),
    ],
)
def test_the_aspect_ratio_is_the_nearest_the_model_offers(configure, server, model, ratio):
    config, _ = drawn(server, model, size=(1600, 200))

    assert config["aspectRatio"] == ratio


def test_references_beyond_a_models_limit_are_left_out(configure, server):
    references = [png(color=f"#00{n:02x}00") for n in range(5)]

    config, paid = drawn(server, "gemini-3.1-flash-lite-image", references=references)

    assert config["references"] == 3
    body = server.received[-1].json()
    sent = [base64.b64decode(p["inline_data"]["data"]) for p in body["contents"][0]["parts"][1:]]
    assert sent == references[:3]  # the template's own image comes first and stays
    assert paid == pytest.approx(0.0336)


def test_the_older_1k_model_gets_no_image_size_field_and_three_references():
    request = ImageRequest(prompt="A slide", size=(160, 90), quality="hd", references=[png()] * 4)

    call = image_call("gemini-2.5-flash-image", request)

    assert call.body["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9"}
    assert len(call.body["contents"][0]["parts"]) == 1 + 3
    assert (call.image_size, call.references) == ("1K", 3)


@pytest.mark.parametrize(
    ("model", "wanted", "sent"),
    [
        ("gemini-3.1-flash-image", "512", "512"),
        ("gemini-nano-banana-2.1", "512", "1K"),  # 2.1 refuses the 512 tier
        ("gemini-3-pro-image", "512", "1K"),
        ("gemini-3.1-flash-lite-image", "2K", "1K"),
        ("gemini-2.5-flash-image", "4K", None),
    ],
)
def test_each_model_ladders_a_size_to_one_it_draws(model, wanted, sent):
    assert IMAGE_MODELS[model].size_for(wanted) == sent


def test_every_known_model_has_a_name_prices_and_their_source():
    for model in IMAGE_MODELS.values():
        assert model.name.startswith("Nano Banana")
        assert model.price_source in ("official", "estimate")
        assert model.prices["image_1K"] > 0
        for size in model.sizes:
            assert image_cost(model=model.id, image_size=size, input_images=0) > 0
    assert image_cost(model="gemini-3-pro-image", image_size="4K", input_images=2) == 0.2422


# Shut-down and unknown models, before any call


@pytest.mark.parametrize(
    ("model", "replacement", "day"),
    [
        ("gemini-3-pro-image-preview", "gemini-3-pro-image", "2026-06-25"),
        ("gemini-3.1-flash-image-preview", "gemini-3.1-flash-image", "2026-06-25"),
        ("gemini-2.5-flash-image", "gemini-3.1-flash-image", "2026-10-02"),
    ],
)
def test_a_batch_choosing_a_shut_down_model_is_told_its_replacement(
    configure, server, model, replacement, day
):
    with pytest.raises(InvalidInput) as caught:
        BatchOptions.parse({"provider": "gemini", "model": model})

    assert f"'{model}' was shut down by Google on {day}" in caught.value.message
    assert f"use '{replacement}' instead" in caught.value.message
    assert caught.value.details == {"model": model}
    assert server.received == []


def test_a_model_one_character_off_a_known_one_is_refused_with_the_likely_one(configure, server):
    with pytest.raises(InvalidInput) as caught:
        image_provider("gemini", "gemini-3-pro-imagee")

    assert "'gemini-3-pro-imagee' is not a known Gemini image model" in caught.value.message
    assert "did you mean 'gemini-3-pro-image'?" in caught.value.message
    assert server.received == []


def test_the_api_answers_400_naming_options_model(configure, server, db):
    SlideTemplateFactory(slug="business")
    payload = {
        "outline": EN_OUTLINE,
        "template": "business",
        "options": {"provider": "gemini", "model": "gemini-3-pro-image-preview"},
    }

    response = token_client(UserFactory()).post(BATCHES, payload, format="json")

    assert response.status_code == 400
    error = error_of(response)
    assert list(error["details"]) == ["model"]
    assert "'gemini-3-pro-image-preview' was shut down" in error["message"]
    assert "use 'gemini-3-pro-image' instead" in error["message"]
    assert not Batch.objects.exists()
    assert server.received == []


def test_a_configured_shut_down_image_model_is_refused_at_batch_creation(configure, server, db):
    configure(image="gemini-3-pro-image-preview")
    SlideTemplateFactory(slug="business")
    payload = {"outline": EN_OUTLINE, "template": "business", "options": {"provider": "gemini"}}

    response = token_client(UserFactory()).post(BATCHES, payload, format="json")

    assert response.status_code == 400
    message = error_of(response)["message"]
    assert "GEMINI_IMAGE_MODEL: model 'gemini-3-pro-image-preview' was shut down" in message
    assert "use 'gemini-3-pro-image' instead" in message
    assert not Batch.objects.exists()
    assert server.received == []


def test_a_configured_shut_down_text_model_is_refused_naming_its_replacement(configure, server):
    configure(text="gemini-2.5-flash")

    with pytest.raises(InvalidInput, match=r"GEMINI_TEXT_MODEL: model 'gemini-2\.5-flash' was"):
        BatchOptions.parse({"text_provider": "gemini"})
    with pytest.raises(InvalidInput, match=r"use 'gemini-3\.8-flash' instead"):
        text_provider("gemini")
    configure(text="gemini-3.8-flas")
    with pytest.raises(InvalidInput, match=r"did you mean 'gemini-3\.8-flash'"):
        text_provider("gemini")
    assert server.received == []


def test_the_provider_itself_never_calls_a_shut_down_model(configure, server, caplog):
    configure(image="gemini-3.1-flash-image-preview")

    error = raises(
        ErrorKind.INVALID_REQUEST,
        lambda: GeminiProvider().generate(ImageRequest(prompt="A slide", size=(160, 90))),
        caplog,
    )

    assert "use 'gemini-3.1-flash-image' instead" in error.message
    assert server.received == []


def test_a_shutdown_date_counts_from_that_day():
    model = "gemini-2.5-flash-image"

    assert image_model_problem(model, today=date(2026, 10, 1)) == ""
    assert "was shut down" in image_model_problem(model, today=date(2026, 10, 2))
    assert text_model_problem("gemini-3.8-flash", today=date(2026, 12, 1)) == ""


# Google's 404 for a model


def test_a_404_not_found_is_an_invalid_request_naming_the_model_not_a_retry(
    configure, server, caplog
):
    server.script((404, {}, NOT_FOUND))

    error = raises(
        ErrorKind.INVALID_REQUEST,
        lambda: image_provider("gemini").generate(ImageRequest(prompt="A", size=(160, 90))),
        caplog,
    )

    assert "models/gemini-3-pro-image is not found for API version v1beta" in error.message
    assert "HTTP 404 NOT_FOUND" in error.message
    assert "Google does not serve model 'gemini-3-pro-image'" in error.message
    assert not error.retryable
    assert len(server.received) == 1


# The providers page and API


def test_a_configured_shut_down_model_is_shown_as_not_usable_with_the_hint(configure, admin_client):
    configure(image="gemini-3-pro-image-preview")

    gemini = next(row for row in provider_health() if row["name"] == "gemini")
    over_api = token_client(UserFactory()).get("/api/v1/providers/").json()["providers"]
    page = admin_client.get("/admin/generation/providergate/").content.decode()

    assert (gemini["configured"], gemini["usable"]) == (True, False)
    assert gemini["hint"].startswith("GEMINI_IMAGE_MODEL: model 'gemini-3-pro-image-preview'")
    assert "use 'gemini-3-pro-image' instead" in gemini["hint"]
    assert "gemini-3-pro-image-preview" not in gemini["models"]
    assert next(row for row in over_api if row["name"] == "gemini")["hint"] == gemini["hint"]
    assert "<strong>not usable</strong>: GEMINI_IMAGE_MODEL" in page

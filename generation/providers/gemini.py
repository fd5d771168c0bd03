"""The public Gemini API: `generateContent` for images (Nano Banana models) and for the
planning steps' JSON text. Settings: PROVIDER_SETTINGS["gemini"], PROVIDER_TIMEOUT_SECONDS.

What each model accepts, and which ids Google has shut down, is in gemini_models; requests
are shaped per model in gemini_requests (`image_call`, reusable, e.g. for the Batch API's
inline requests), and answers and errors are read in gemini_answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.utils import timezone

from generation.providers.base import ErrorKind, ImageRequest, ImageResult, ProviderError
from generation.providers.gemini_answers import answer_text, classify_error, final_image, usage
from generation.providers.gemini_models import (
    image_model_problem,
    text_model_problem,
    usable_image_models,
)
from generation.providers.gemini_requests import image_call, text_request_body
from generation.providers.http import HttpClient, answer_json, answer_png, fit_image, open_image
from generation.providers.pricing import image_cost
from generation.providers.textprompts import ModelPlanning

T = TypeVar("T")


class GeminiProvider(ModelPlanning):
    name = "gemini"
    wants_reference_urls = False

    def __init__(self) -> None:
        config = settings.PROVIDER_SETTINGS[self.name]
        self.base_url = config["base_url"].rstrip("/")
        self.api_key = config["api_key"]
        self.image_model = config["image_model"]
        self.text_model = config["text_model"]
        self.client = HttpClient(
            provider=self.name, api_key=self.api_key, timeout=settings.PROVIDER_TIMEOUT_SECONDS
        )

    @property
    def known_models(self) -> tuple[str, ...]:
        """The image models a batch may choose today (shut-down ones left out)."""
        return tuple(usable_image_models(today=timezone.localdate()))

    def model_problem(self, model: str) -> str:
        """Why this image model cannot be used today, naming the replacement; "" if it can."""
        return image_model_problem(model, today=timezone.localdate())

    def text_model_problem(self) -> str:
        return text_model_problem(self.text_model, today=timezone.localdate())

    # Images

    def generate(self, request: ImageRequest) -> ImageResult:
        problem = self.model_problem(self.image_model)
        if problem:
            raise ProviderError(ErrorKind.INVALID_REQUEST, problem)
        call = image_call(self.image_model, request)

        def read(data: dict) -> ImageResult:
            answer = final_image(data)
            image = open_image(answer, kind=ErrorKind.TRANSIENT, what="Gemini's image")
            fitted = fit_image(image, request.size)
            return ImageResult(
                image=fitted,
                png=answer_png(answer, image, fitted),
                provider=self.name,
                model=self.image_model,
                usage=usage(data),
                cost_usd=image_cost(
                    model=self.image_model,
                    image_size=call.image_size,
                    input_images=call.references,
                ),
            )

        return self._generate_content(self.image_model, call.body, read)

    # Planning steps

    def _ask(self, prompt: str) -> str:
        problem = self.text_model_problem()
        if problem:
            raise ProviderError(ErrorKind.INVALID_REQUEST, problem)
        return self._generate_content(self.text_model, text_request_body(prompt), answer_text)

    def _generate_content(self, model: str, body: dict, read: Callable[[dict], T]) -> T:
        return self.client.call(
            "POST",
            f"{self.base_url}/v1beta/models/{model}:generateContent",
            model=model,
            handle=lambda response: read(
                answer_json(
                    response,
                    who="Gemini",
                    classify=lambda answer: classify_error(answer, model=model),
                )
            ),
            json=body,
            headers={"x-goog-api-key": self.api_key},
        )

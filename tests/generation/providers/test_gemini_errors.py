"""The Gemini provider's failures: answers without an image (blocked, text only, not JSON,
not an image) and HTTP errors, each a ProviderError of the right kind without the key."""

import time

import pytest

from generation.providers.base import ErrorKind
from generation.providers.gate import MAX_WAIT_SECONDS
from generation.providers.gemini import GeminiProvider
from tests.generation.providers.conftest import API_KEY, closed_port, png, raises
from tests.generation.providers.gemini_wire import answer, error, inline, slide_request

# Answers without an image


def test_an_image_safety_stop_is_content_blocked_in_words(provider, server, caplog):
    server.script((200, {}, {"candidates": [{"finishReason": "IMAGE_SAFETY", "index": 0}]}))

    error = raises(ErrorKind.CONTENT_BLOCKED, lambda: provider.generate(slide_request()), caplog)

    assert "flagged by the image safety filters" in error.message
    assert "IMAGE_SAFETY" in error.message
    assert not error.retryable


def test_a_blocked_prompt_without_candidates_is_content_blocked(provider, server, caplog):
    server.script((200, {}, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}))

    error = raises(ErrorKind.CONTENT_BLOCKED, lambda: provider.generate(slide_request()), caplog)

    assert "prohibited content" in error.message


def test_a_text_only_answer_is_transient_and_quotes_the_model(provider, server, caplog):
    server.script(answer({"text": "I can only describe this slide."}))

    error = raises(ErrorKind.TRANSIENT, lambda: provider.generate(slide_request()), caplog)

    assert "I can only describe this slide." in error.message


def test_a_body_that_is_not_json_is_transient(provider, server, caplog):
    server.script((200, {"Content-Type": "application/json"}, '{"candidates": [{"conte'))

    error = raises(ErrorKind.TRANSIENT, lambda: provider.generate(slide_request()), caplog)

    assert "not a JSON object" in error.message


def test_an_image_that_is_not_an_image_is_transient(provider, server, caplog):
    server.script(answer(inline(b"<html>not a picture</html>")))

    error = raises(ErrorKind.TRANSIENT, lambda: provider.generate(slide_request()), caplog)

    assert "not a readable image" in error.message


# Errors


def test_a_rate_limit_honours_the_retry_delay(provider, server, caplog):
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "47s"}
    server.script(error(429, "RESOURCE_EXHAUSTED", f"Quota exceeded for key {API_KEY}.", retry))

    error_ = raises(ErrorKind.RATE_LIMITED, lambda: provider.generate(slide_request()), caplog)

    assert error_.retry_after == 47.0
    assert "outcome=rate_limited" in caplog.text


def test_a_daily_quota_is_not_retried_soon(provider, server, caplog):
    quota = {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
    }
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "21s"}
    server.script(error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", quota, retry))

    error_ = raises(ErrorKind.RATE_LIMITED, lambda: provider.generate(slide_request()), caplog)

    assert error_.retry_after >= 3600
    assert error_.retry_after > MAX_WAIT_SECONDS
    assert "daily quota" in error_.message


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        (503, "UNAVAILABLE", ErrorKind.TRANSIENT),
        (500, "INTERNAL", ErrorKind.TRANSIENT),
        (504, "DEADLINE_EXCEEDED", ErrorKind.TRANSIENT),
        (400, "INVALID_ARGUMENT", ErrorKind.INVALID_REQUEST),
        (404, "NOT_FOUND", ErrorKind.INVALID_REQUEST),
        (401, "UNAUTHENTICATED", ErrorKind.AUTH),
        (403, "PERMISSION_DENIED", ErrorKind.AUTH),
    ],
)
def test_http_errors_are_classified(provider, server, caplog, code, status, kind):
    server.script(error(code, status, f"Something about {API_KEY} went wrong."))

    error_ = raises(kind, lambda: provider.generate(slide_request()), caplog)

    assert f"HTTP {code} {status}" in error_.message
    assert "Something about *** went wrong." in error_.message


def test_an_invalid_api_key_is_an_auth_error(provider, server, caplog):
    info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
    server.script(
        error(400, "INVALID_ARGUMENT", f"API key not valid: {API_KEY}. Pass a valid key.", info)
    )

    error_ = raises(ErrorKind.AUTH, lambda: provider.generate(slide_request()), caplog)

    assert "GEMINI_API_KEY" in error_.message


def test_a_server_slower_than_the_timeout_is_transient(configure, server, caplog):
    configure(timeout=0.2)
    provider = GeminiProvider()

    def slow(_request):
        time.sleep(0.6)
        return answer(inline(png()))

    server.script(slow)

    error_ = raises(ErrorKind.TRANSIENT, lambda: provider.generate(slide_request()), caplog)

    assert "did not answer within 0.2 s" in error_.message


def test_an_unreachable_server_is_transient(configure, caplog):
    configure(base_url=f"http://127.0.0.1:{closed_port()}")

    error_ = raises(ErrorKind.TRANSIENT, lambda: GeminiProvider().generate(slide_request()), caplog)

    assert "could not reach gemini" in error_.message


def test_a_missing_key_is_an_auth_error_before_any_call(configure, server, caplog):
    configure(api_key="")

    error_ = raises(ErrorKind.AUTH, lambda: GeminiProvider().generate(slide_request()), caplog)

    assert "GEMINI_API_KEY" in error_.message
    assert server.received == []

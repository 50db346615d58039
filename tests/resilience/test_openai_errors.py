from __future__ import annotations

import email.utils

import httpx
import openai
import pytest

from review_bot.errors import (
    InvalidModelOutput,
    ModelRejected,
    ModelUnavailable,
    RateLimited,
)
from review_bot.resilience.openai_errors import (
    parse_retry_after,
    translate_openai_error,
    translate_openai_errors,
)

_REQUEST = httpx.Request("POST", "http://fake/v1/chat/completions")


def status_error(status: int, code: str | None = None, **headers: str) -> openai.APIStatusError:
    response = httpx.Response(status, headers=headers, request=_REQUEST)
    body = {"message": "nope", "type": "x", "code": code}
    cls = {429: openai.RateLimitError, 400: openai.BadRequestError}.get(
        status, openai.APIStatusError
    )
    return cls("nope", response=response, body=body)


def test_retry_after_forms() -> None:
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    date = email.utils.formatdate(1000.0 + 30, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=lambda: 1000.0) == pytest.approx(30)
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (status_error(429, "rate_limit_exceeded", **{"retry-after": "3"}), RateLimited),
        (status_error(429, "insufficient_quota"), ModelRejected),
        (status_error(400, "context_length_exceeded"), ModelRejected),
        (status_error(401, "invalid_api_key"), ModelRejected),
        (status_error(403), ModelRejected),
        (status_error(404, "model_not_found"), ModelRejected),
        (status_error(500), ModelUnavailable),
        (status_error(503), ModelUnavailable),
        (status_error(408), ModelUnavailable),
        (openai.APITimeoutError(request=_REQUEST), ModelUnavailable),
        (openai.APIConnectionError(request=_REQUEST), ModelUnavailable),
        (
            openai.APIResponseValidationError(httpx.Response(200, request=_REQUEST), None),
            InvalidModelOutput,
        ),
    ],
)
def test_sdk_errors_map_to_ours(error: openai.OpenAIError, expected: type[Exception]) -> None:
    assert type(translate_openai_error(error)) is expected


def test_rate_limit_carries_retry_after_and_the_cause() -> None:
    error = status_error(429, "rate_limit_exceeded", **{"retry-after": "3"})
    with pytest.raises(RateLimited) as info, translate_openai_errors("llm:openai:m"):
        raise error
    assert info.value.retry_after == 3.0
    assert info.value.__cause__ is error
    assert "llm:openai:m" in str(info.value)

"""Translate OpenAI SDK errors into ours, so the retry layer sees named, classified errors.

Create SDK clients with ``max_retries=0``: this package's policies own retries. Use::

    with translate_openai_errors("llm:openai:gpt-4o-mini"):
        response = await client.chat.completions.create(...)
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import openai

from review_bot.errors import (
    InvalidModelOutput,
    ModelError,
    ModelRejected,
    ModelUnavailable,
    RateLimited,
)

__all__ = ["parse_retry_after", "translate_openai_error", "translate_openai_errors"]

# 429 codes that no amount of waiting fixes.
_HARD_429_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
_RETRYABLE_STATUSES = frozenset({408, 409})


def parse_retry_after(
    headers: Mapping[str, str], now: Callable[[], float] = time.time
) -> float | None:
    """Seconds to wait from ``retry-after-ms``, else ``retry-after`` (seconds or HTTP date).

    Unparseable or negative values mean "no hint" (None), never an error.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms is not None:
        try:
            ms = float(raw_ms)
        except ValueError:
            ms = -1.0
        if ms >= 0:
            return ms / 1000.0
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - now()
        return max(0.0, seconds)
    return seconds if seconds >= 0 else None


def translate_openai_error(exc: openai.OpenAIError, what: str = "the model") -> ModelError:
    """Our error for an SDK error (the caller raises it ``from exc``).

    429 → RateLimited (with Retry-After) unless the quota is exhausted; 5xx, 408, 409,
    timeouts and connection errors → ModelUnavailable; other 4xx (400 incl. context
    length, 401, 403, 404, 422) and exhausted quota → ModelRejected; malformed or cut-off
    answers → InvalidModelOutput.
    """
    if isinstance(exc, openai.APITimeoutError):
        return ModelUnavailable(f"{what} did not answer in time: {exc.message}{_cause(exc)}")
    if isinstance(exc, openai.APIConnectionError):
        # a body cut off mid-answer is one too: the cause says so (httpx RemoteProtocolError)
        return ModelUnavailable(f"{what} could not be reached: {exc.message}{_cause(exc)}")
    if isinstance(exc, openai.APIResponseValidationError):
        return InvalidModelOutput(f"{what} answered with data the SDK could not parse: {exc}")
    if isinstance(exc, openai.APIStatusError):
        status, code = exc.status_code, exc.code
        detail = f"{what} answered HTTP {status}" + (f" ({code})" if code else "")
        if status == 429 and code not in _HARD_429_CODES:
            retry_after = parse_retry_after(exc.response.headers)
            return RateLimited(f"{detail}: rate limited; {exc.message}", retry_after=retry_after)
        if status >= 500 or status in _RETRYABLE_STATUSES:
            return ModelUnavailable(f"{detail}: {exc.message}")
        hint = _rejection_hint(status, code)
        return ModelRejected(f"{detail}: {exc.message}; {hint}")
    if isinstance(exc, openai.LengthFinishReasonError | openai.ContentFilterFinishReasonError):
        return InvalidModelOutput(f"{what} stopped before a complete answer: {exc}")
    return ModelUnavailable(f"{what} failed: {type(exc).__name__}: {exc}")


def _cause(exc: BaseException) -> str:
    """`` (Cause: detail)`` from the error the SDK wrapped, or nothing."""
    cause = exc.__cause__ or exc.__context__
    if cause is None:
        return ""
    detail = str(cause) or "no detail"
    return f" ({type(cause).__name__}: {detail[:200]})"


def _rejection_hint(status: int, code: str | None) -> str:
    if code == "context_length_exceeded":
        return "the prompt is too long for the model: review smaller chunks or pick a longer model"
    if code in _HARD_429_CODES:
        return "the account's quota is exhausted: check billing, waiting will not help"
    if status in (401, 403):
        return "check OPENAI_API_KEY and that the key may use this model"
    if status == 404:
        return "check REVIEW_BOT_MODEL and OPENAI_BASE_URL"
    return "the request was refused; it will not be retried"


@contextmanager
def translate_openai_errors(what: str = "the model") -> Iterator[None]:
    """Raise our error ``from`` any OpenAI SDK error raised in the block."""
    try:
        yield
    except openai.OpenAIError as exc:
        raise translate_openai_error(exc, what) from exc

"""Retry timing: strategies, full jitter, Retry-After, and the deadline bound.

Only named, retryable errors are retried (``RETRYABLE``); everything else, notably
ModelRejected (auth, quota, context length), surfaces on the first attempt.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from review_bot.config.resilience import PolicyConfig
from review_bot.errors import ModelUnavailable, RateLimited

__all__ = ["RETRYABLE", "Sleep", "backoff_ceiling", "is_retryable", "next_delay", "no_sleep"]

Sleep = Callable[[float], Awaitable[None]]

RETRYABLE: tuple[type[BaseException], ...] = (
    RateLimited,
    ModelUnavailable,
    TimeoutError,
    ConnectionError,
)


def is_retryable(exc: BaseException) -> bool:
    """True for the errors worth another attempt (429, 5xx, timeouts, connection errors)."""
    return isinstance(exc, RETRYABLE)


async def no_sleep(seconds: float) -> None:
    """The testing switch: a sleep that only yields to the loop (backoff removed)."""
    del seconds
    await asyncio.sleep(0)


def backoff_ceiling(policy: PolicyConfig, attempt: int) -> float:
    """The jitter ceiling after failed attempt number ``attempt`` (1-based)."""
    base = policy.base_delay_s
    if policy.strategy == "exponential":
        raw = base * 2.0 ** min(attempt - 1, 60)
    elif policy.strategy == "linear":
        raw = base * attempt
    else:
        raw = base
    return min(raw, policy.max_delay_s)


def next_delay(
    policy: PolicyConfig,
    attempt: int,
    error: BaseException | None,
    rng: Callable[[], float] = random.random,
) -> float:
    """Full jitter over the strategy's ceiling, but never sooner than a Retry-After hint."""
    delay = rng() * backoff_ceiling(policy, attempt)
    if isinstance(error, RateLimited) and error.retry_after is not None:
        delay = max(delay, error.retry_after)
    return delay

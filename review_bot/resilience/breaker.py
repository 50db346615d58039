"""Circuit breakers (pybreaker) with state in memory or shared through Redis."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pybreaker
import redis
from redis.backoff import NoBackoff
from redis.driver_info import DriverInfo
from redis.retry import Retry

from review_bot.errors import (
    CacheError,
    DeadlineExceeded,
    GitHubError,
    ModelUnavailable,
    RateLimited,
    ToolOutputError,
    ToolTimeout,
)

__all__ = ["TransitionObserver", "counts_against_breaker", "make_breaker", "sync_redis_client"]

log = logging.getLogger(__name__)

TransitionObserver = Callable[[str, str, str], None]

# What says "the dependency is unwell". Refusals of our own (deadline before the call,
# bulkhead, open breaker), client errors (ModelRejected, bad input) and cancellation do not.
_FAILURES: tuple[type[BaseException], ...] = (
    RateLimited,
    ModelUnavailable,
    ToolTimeout,
    ToolOutputError,
    CacheError,
    GitHubError,
    TimeoutError,
    ConnectionError,
)


def counts_against_breaker(exc: BaseException) -> bool:
    """True when ``exc`` is a failure of the dependency rather than of the caller.

    A DeadlineExceeded counts when it was caused by one (the review ran out of time while
    the dependency hung or kept failing), not when the call never started.
    """
    if isinstance(exc, asyncio.CancelledError):
        return False
    if isinstance(exc, DeadlineExceeded):
        return exc.__cause__ is not None and counts_against_breaker(exc.__cause__)
    return isinstance(exc, _FAILURES)


class _Listener(pybreaker.CircuitBreakerListener):
    def __init__(self, on_transition: TransitionObserver) -> None:
        self._on_transition = on_transition

    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        old = old_state.name if old_state is not None else "none"
        self._on_transition(str(cb.name), old, new_state.name)


def sync_redis_client(url: str, timeout_s: float) -> redis.Redis:
    """The synchronous client CircuitRedisStorage needs: bytes replies, short timeouts,
    no client-side retries (a dead Redis must cost one short timeout, not seconds)."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
        decode_responses=False,
        driver_info=DriverInfo(name=None, lib_version=None),  # no CLIENT SETINFO round trips
    )


def make_breaker(
    name: str,
    *,
    fail_max: int,
    reset_timeout_s: float,
    on_transition: TransitionObserver,
    redis_client: redis.Redis | None = None,
    namespace: str = "review-bot:breaker",
) -> pybreaker.CircuitBreaker:
    """A breaker for ``name`` that opens after ``fail_max`` counted failures in a row.

    It re-raises the failure that trips it (callers see the real error); later calls raise
    ``pybreaker.CircuitBreakerError`` until ``reset_timeout_s`` passes. With a Redis client
    the state is shared by every process using the same namespace; when Redis cannot be
    reached at start the breaker falls back to process memory and says so in the log.
    """
    storage: pybreaker.CircuitBreakerStorage | None = None
    if redis_client is not None:
        try:
            storage = pybreaker.CircuitRedisStorage(
                pybreaker.STATE_CLOSED, redis_client, namespace=f"{namespace}:{name}"
            )
        except redis.RedisError as exc:
            log.warning(
                "breaker state for %s kept in memory: Redis unreachable (%s)",
                name,
                exc,
                extra={"dependency": name, "error": type(exc).__name__},
            )
    return pybreaker.CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=reset_timeout_s,
        exclude=[lambda exc: not counts_against_breaker(exc)],
        listeners=[_Listener(on_transition)],
        state_storage=storage,
        name=name,
        throw_new_error_on_trip=False,
    )

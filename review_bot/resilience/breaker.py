"""Circuit breakers (pybreaker) with state in memory or shared through Redis.

Shared state lives in :class:`SharedBreakerStorage`. pybreaker's own ``CircuitRedisStorage``
talks to Redis on every state read and counter update, synchronously, and when Redis fails it
logs a traceback per operation and answers "closed, no failures". With Redis hung, every
guarded call then blocked the event loop for several socket timeouts, and the breaker could
never open (measured: four failing calls, 1.2 s blocked, still closed).

Ours gives up on Redis for ``retry_after_s`` after the first failure and keeps counting in
process memory meanwhile, continuing from the last state it saw. It logs the outage once and
goes back to the shared state when Redis answers again. It keeps pybreaker's key layout, so
processes using either storage see one state.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

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

__all__ = [
    "SharedBreakerStorage",
    "TransitionObserver",
    "counts_against_breaker",
    "make_breaker",
    "sync_redis_client",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
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


class SharedBreakerStorage(pybreaker.CircuitBreakerStorage):
    """Breaker state in Redis, with process memory standing in while Redis fails.

    Every successful read is mirrored into memory, so a failover continues from the last
    shared state rather than from "closed"; writes made during the outage stay local.
    """

    def __init__(
        self,
        client: redis.Redis,
        namespace: str,
        *,
        retry_after_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__("redis")
        self._client = client
        self._namespace = namespace
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._down_until: float | None = None
        # the last state seen or written: what a failover continues from
        self._state: str = pybreaker.STATE_CLOSED
        self._fails = 0
        self._successes = 0
        self._opened: datetime | None = None

    def _key(self, name: str) -> str:
        return f"{self._namespace}:pybreaker:{name}"

    @property
    def shared(self) -> bool:
        """False while Redis is being skipped after a failure."""
        return self._down_until is None or self._clock() >= self._down_until

    def _redis(self, op: Callable[[redis.Redis], T]) -> T | None:
        """``op``'s result, or None when Redis is skipped or fails (then skip it a while)."""
        if not self.shared:
            return None
        try:
            result = op(self._client)
        except redis.RedisError as exc:
            if self._down_until is None:
                log.warning(
                    "breaker state of %s kept in process memory: Redis failed (%s: %s); "
                    "trying it again every %.0f s",
                    self._namespace,
                    type(exc).__name__,
                    exc,
                    self._retry_after_s,
                    extra={"breaker": self._namespace, "error": type(exc).__name__},
                )
            self._down_until = self._clock() + self._retry_after_s
            return None
        if self._down_until is not None:
            log.info("breaker state of %s shared through Redis again", self._namespace)
            self._down_until = None
        return result

    @property
    def state(self) -> str:
        raw = self._redis(lambda r: r.get(self._key("state")))
        if isinstance(raw, bytes):
            self._state = raw.decode("utf-8")
        return self._state

    @state.setter
    def state(self, state: str) -> None:
        self._state = str(state)
        self._redis(lambda r: r.set(self._key("state"), self._state))

    def _incr(self, name: str, local: int) -> int:
        """INCR a shared counter; ``local`` + 1 while Redis is skipped."""
        value = self._redis(lambda r: r.incr(self._key(name)))
        return local + 1 if value is None else int(value)

    def _read(self, name: str, local: int) -> int:
        """A shared counter's value; ``local`` while Redis is skipped or it is unset."""
        raw = self._redis(lambda r: r.get(self._key(name)))
        return local if raw is None else int(raw)

    def increment_counter(self) -> None:
        self._fails = self._incr("fail_counter", self._fails)

    def reset_counter(self) -> None:
        self._fails = 0
        self._redis(lambda r: r.set(self._key("fail_counter"), 0))

    def increment_success_counter(self) -> None:
        self._successes = self._incr("success_counter", self._successes)

    def reset_success_counter(self) -> None:
        self._successes = 0
        self._redis(lambda r: r.set(self._key("success_counter"), 0))

    @property
    def counter(self) -> int:
        self._fails = self._read("fail_counter", self._fails)
        return self._fails

    @property
    def success_counter(self) -> int:
        self._successes = self._read("success_counter", self._successes)
        return self._successes

    @property
    def opened_at(self) -> datetime | None:
        raw = self._redis(lambda r: r.get(self._key("opened_at")))
        if raw is not None:
            self._opened = datetime(*time.gmtime(int(raw))[:6], tzinfo=UTC)
        return self._opened

    @opened_at.setter
    def opened_at(self, now: datetime) -> None:
        self._opened = now
        stamp = calendar.timegm(now.timetuple())
        # the latest opening wins when several processes trip the breaker at once
        self._redis(lambda r: r.eval(_SET_IF_GREATER, 1, self._key("opened_at"), stamp))


_SET_IF_GREATER = """
if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 0
"""


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
    the state is shared by every process using the same namespace; while Redis fails the
    breaker counts in process memory (:class:`SharedBreakerStorage`).
    """
    storage = (
        None if redis_client is None else SharedBreakerStorage(redis_client, f"{namespace}:{name}")
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

"""Circuit breakers (pybreaker) with state in memory or shared through Redis.

Shared state lives in :class:`SharedBreakerStorage`. pybreaker's own ``CircuitRedisStorage``
talks to Redis on every state read and counter update, synchronously, and when Redis fails it
logs a traceback per operation and answers "closed, no failures". With Redis hung, every
guarded call then blocked the event loop for several socket timeouts, and the breaker could
never open (measured: four failing calls, 1.2 s blocked, still closed).

Ours never talks to Redis on the event loop. pybreaker reads and writes a mirror in process
memory; writes go on to Redis in order on one thread (:class:`BreakerRedis`), and the policy
awaits :meth:`SharedBreakerStorage.refresh` (one MGET on that thread) before each call. The
client's socket timeout runs on that thread, so it measures Redis alone: a loop busy with
other work cannot make an answered command count as a timeout, as an asyncio timeout (which
fires by loop time) would. After a failure it gives up on Redis for ``retry_after_s`` and
keeps counting in memory meanwhile, continuing from the last state it saw; it logs the outage
once and goes back to the shared state when Redis answers again. It keeps pybreaker's key
layout, so processes using either storage see one state.
"""

from __future__ import annotations

import asyncio
import calendar
import concurrent.futures
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
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

__all__ = [
    "BreakerRedis",
    "SharedBreakerStorage",
    "TransitionObserver",
    "counts_against_breaker",
    "make_breaker",
    "sync_redis_client",
]

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


class BreakerRedis:
    """The breaker state's synchronous Redis client, driven from one thread, never the loop.

    Commands run in submission order (a read queued after a write sees it). Share one per
    process (the registry does); :meth:`close` stops the thread and the client.
    """

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._thread = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="breaker-redis"
        )

    def submit(self, job: Callable[[], None]) -> concurrent.futures.Future[None]:
        """Queue ``job`` (which must not raise) behind every job queued before it."""
        return self._thread.submit(job)

    async def flush(self) -> None:
        """Wait until every job queued so far has run."""
        await asyncio.wrap_future(self.submit(lambda: None))

    def close(self) -> None:
        """Drop queued jobs, let a running one end by its socket timeout, close the client."""
        self._thread.shutdown(wait=False, cancel_futures=True)
        self.client.close()


_FIELDS = ("state", "fail_counter", "success_counter", "opened_at")
_MISSING = object()


class SharedBreakerStorage(pybreaker.CircuitBreakerStorage):
    """Breaker state in Redis, mirrored in process memory, which pybreaker reads and writes.

    Each write goes on to Redis (on the :class:`BreakerRedis` thread); :meth:`refresh` brings
    the other processes' writes in. A value Redis answers for a field that was written here
    after the command was queued is dropped (the newer local write is on its way). While
    Redis fails, writes stay local and the mirror continues from the last shared state.
    """

    def __init__(
        self,
        client: BreakerRedis | redis.Redis,
        namespace: str,
        *,
        retry_after_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__("redis")
        self._io = client if isinstance(client, BreakerRedis) else BreakerRedis(client)
        self._namespace = namespace
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._down_until: float | None = None
        # the mirror: the last state seen or written, what pybreaker reads
        self._state: str = pybreaker.STATE_CLOSED
        self._fails = 0
        self._successes = 0
        self._opened: datetime | None = None
        self._written = dict.fromkeys(_FIELDS, 0)  # local writes per field, for stale answers
        self._refreshing: concurrent.futures.Future[None] | None = None

    def _key(self, name: str) -> str:
        return f"{self._namespace}:pybreaker:{name}"

    @property
    def shared(self) -> bool:
        """False while Redis is being skipped after a failure."""
        return self._down_until is None or self._clock() >= self._down_until

    def _redis(self, op: Callable[[redis.Redis], Any]) -> Any:
        """``op``'s result, or ``_MISSING`` when Redis is skipped or fails (then skip it a
        while). Runs on the Redis thread."""
        if not self.shared:
            return _MISSING
        try:
            result = op(self._io.client)
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
            return _MISSING
        if self._down_until is not None:
            log.info("breaker state of %s shared through Redis again", self._namespace)
            self._down_until = None
        return result

    def _write(self, field: str, op: Callable[[redis.Redis], Any]) -> None:
        """Record a local write of ``field`` and send ``op`` to Redis; an INCR's answer (the
        shared count) replaces the local one unless ``field`` was written again since."""
        self._written[field] += 1
        mark = self._written[field]

        def job() -> None:
            value = self._redis(op)
            fresh = self._written[field] == mark
            if field.endswith("counter") and isinstance(value, int) and fresh:
                self._apply(field, value)

        self._io.submit(job)

    def _apply(self, field: str, raw: Any) -> None:
        if field == "state":
            self._state = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        elif field == "fail_counter":
            self._fails = int(raw)
        elif field == "success_counter":
            self._successes = int(raw)
        else:
            self._opened = datetime(*time.gmtime(int(raw))[:6], tzinfo=UTC)

    def _pull(self, written: dict[str, int]) -> None:
        keys = [self._key(name) for name in _FIELDS]
        values = self._redis(lambda r: r.mget(keys))
        if not isinstance(values, Sequence):
            return
        for field, raw in zip(_FIELDS, values, strict=True):
            # unset in Redis: keep what we have; written here meanwhile: ours is newer
            if raw is not None and self._written[field] == written[field]:
                self._apply(field, raw)

    async def refresh(self) -> None:
        """Bring the shared state into the mirror (one MGET, off the loop). Concurrent
        callers share one read; nothing is asked while Redis is being skipped."""
        if not self.shared:
            return
        pending = self._refreshing
        if pending is None or pending.done():
            written = dict(self._written)
            pending = self._refreshing = self._io.submit(lambda: self._pull(written))
        # a cancelled caller must not cancel the read the others wait for
        await asyncio.shield(asyncio.wrap_future(pending))

    async def flush(self) -> None:
        """Wait until every write made so far has reached Redis (or been given up)."""
        await self._io.flush()

    @property
    def state(self) -> str:
        return self._state

    @state.setter
    def state(self, state: str) -> None:
        self._state = str(state)
        value = self._state
        self._write("state", lambda r: r.set(self._key("state"), value))

    def increment_counter(self) -> None:
        self._fails += 1
        self._write("fail_counter", lambda r: r.incr(self._key("fail_counter")))

    def reset_counter(self) -> None:
        self._fails = 0
        self._write("fail_counter", lambda r: r.set(self._key("fail_counter"), 0))

    def increment_success_counter(self) -> None:
        self._successes += 1
        self._write("success_counter", lambda r: r.incr(self._key("success_counter")))

    def reset_success_counter(self) -> None:
        self._successes = 0
        self._write("success_counter", lambda r: r.set(self._key("success_counter"), 0))

    @property
    def counter(self) -> int:
        return self._fails

    @property
    def success_counter(self) -> int:
        return self._successes

    @property
    def opened_at(self) -> datetime | None:
        return self._opened

    @opened_at.setter
    def opened_at(self, now: datetime) -> None:
        self._opened = now
        stamp = calendar.timegm(now.timetuple())
        # the latest opening wins when several processes trip the breaker at once
        self._write(
            "opened_at", lambda r: r.eval(_SET_IF_GREATER, 1, self._key("opened_at"), stamp)
        )


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
    storage: SharedBreakerStorage | None = None,
) -> pybreaker.CircuitBreaker:
    """A breaker for ``name`` that opens after ``fail_max`` counted failures in a row.

    It re-raises the failure that trips it (callers see the real error); later calls raise
    ``pybreaker.CircuitBreakerError`` until ``reset_timeout_s`` passes. With a
    :class:`SharedBreakerStorage` the state is shared by every process using its namespace
    (the caller awaits ``storage.refresh()`` before each call); while Redis fails the breaker
    counts in process memory.
    """
    return pybreaker.CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=reset_timeout_s,
        exclude=[lambda exc: not counts_against_breaker(exc)],
        listeners=[_Listener(on_transition)],
        state_storage=storage,
        name=name,
        throw_new_error_on_trip=False,
    )

"""Shared breaker state: Redis while it answers, process memory while it does not, and never
a Redis command on the event loop.

Needs redis-server (a private one per test, to kill and restart) and the local Redis.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pybreaker
import pytest

from review_bot.config.resilience import PolicyConfig, ResilienceConfig
from review_bot.errors import ModelUnavailable
from review_bot.resilience import PolicyRegistry
from review_bot.resilience.breaker import SharedBreakerStorage, sync_redis_client
from tests.fakes.redis_servers import LOCAL_REDIS_URL as LOCAL
from tests.fakes.redis_servers import Blackhole, RedisProcess


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail() -> None:
    raise ConnectionError("dependency down")


def breaker(
    storage: pybreaker.CircuitBreakerStorage, fail_max: int = 3
) -> pybreaker.CircuitBreaker:
    return pybreaker.CircuitBreaker(
        fail_max=fail_max, reset_timeout=60, state_storage=storage, throw_new_error_on_trip=False
    )


def trip(cb: pybreaker.CircuitBreaker, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ConnectionError):
            cb.call(fail)


class CountingClient:
    """A redis client that counts the operations the storage asks of it (each one a round
    trip to Redis, which the hung server answers only with a timeout)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.operations: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.operations.append(name)
            return attr(*args, **kwargs)

        return counted


async def test_a_hung_redis_is_given_up_once_and_the_breaker_still_opens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hole = Blackhole()
    client = CountingClient(sync_redis_client(hole.url, 0.1))
    try:
        storage = SharedBreakerStorage(client, "hung", retry_after_s=60)  # type: ignore[arg-type]
        cb = breaker(storage)
        with caplog.at_level(logging.WARNING, logger="review_bot.resilience.breaker"):
            trip(cb, 3)  # pybreaker only touches the mirror: nothing here waits for Redis
            with pytest.raises(pybreaker.CircuitBreakerError):
                cb.call(fail)
            await storage.flush()  # the queued writes: the first times out, the rest skip
    finally:
        hole.close()
    assert cb.current_state == pybreaker.STATE_OPEN  # counted in memory
    # one operation reached the hung Redis (its 0.1 s timeout); every later one skipped it
    assert len(client.operations) == 1, client.operations
    assert not storage.shared
    warnings = [r for r in caplog.records if "kept in process memory" in r.getMessage()]
    assert len(warnings) == 1  # one line per outage, not a traceback per operation


async def test_state_is_shared_between_processes_and_with_pybreakers_own_storage(
    breaker_namespace: str,
) -> None:
    storage_a = SharedBreakerStorage(sync_redis_client(LOCAL, 0.5), breaker_namespace)
    storage_b = SharedBreakerStorage(sync_redis_client(LOCAL, 0.5), breaker_namespace)
    ours_a, ours_b = breaker(storage_a), breaker(storage_b)
    theirs = breaker(
        pybreaker.CircuitRedisStorage(
            pybreaker.STATE_CLOSED, sync_redis_client(LOCAL, 0.5), namespace=breaker_namespace
        )
    )
    trip(ours_a, 2)
    await storage_a.flush()
    trip(theirs, 1)  # the third failure in a row, counted by pybreaker's storage
    assert theirs.current_state == pybreaker.STATE_OPEN
    await storage_b.refresh()
    with pytest.raises(pybreaker.CircuitBreakerError):
        ours_b.call(fail)
    await storage_a.refresh()
    assert ours_a.current_state == pybreaker.STATE_OPEN


async def test_an_outage_continues_from_the_last_shared_state_and_redis_is_used_again() -> None:
    server = RedisProcess()
    server.start()
    clock = Clock()
    try:
        client = sync_redis_client(server.url, 0.2)
        storage = SharedBreakerStorage(client, "outage", retry_after_s=10, clock=clock)
        cb = breaker(storage)
        trip(cb, 2)
        await storage.flush()
        assert client.get("outage:pybreaker:fail_counter") == b"2"
        port = server.port
        server.kill()
        await storage.refresh()  # fails: Redis is skipped from now on
        assert not storage.shared
        trip(cb, 1)  # the third failure is counted on top of the shared two
        assert cb.current_state == pybreaker.STATE_OPEN
        server = RedisProcess(port)
        server.start()
        clock.now += 5
        assert not storage.shared  # still waiting out retry_after_s
        clock.now += 6
        assert storage.shared
        storage.state = pybreaker.STATE_CLOSED  # e.g. a successful probe
        await storage.flush()
        assert sync_redis_client(server.url, 0.2).get("outage:pybreaker:state") == b"closed"
    finally:
        server.kill()


async def test_a_stalled_redis_does_not_block_the_loop() -> None:
    """A guarded call waits for the stalled Redis on the breaker's thread while another
    coroutine runs; then the call goes through on the in-memory state."""
    hole = Blackhole()
    config = ResilienceConfig(default=PolicyConfig(max_attempts=1, fail_max=2))
    registry = PolicyRegistry(config, testing=True, breaker_redis=sync_redis_client(hole.url, 2))
    other_ran = asyncio.Event()

    async def dependency() -> str:
        return "answered"

    async def other() -> None:
        other_ran.set()

    try:
        call = asyncio.create_task(registry.call("llm:openai:m", dependency))
        await asyncio.sleep(0)  # the call starts and is waiting for Redis
        await asyncio.gather(other())
        await other_ran.wait()
        assert not call.done()  # still waiting for Redis (2 s timeout), off the loop
        assert await call == "answered"  # once Redis timed out, from the in-memory state
    finally:
        registry.close()
        hole.close()


def hog_the_loop(seconds: float) -> None:
    """Busy CPU work on the loop's thread (the stimulus of a stall, not a wait for anything;
    the breaker's thread still gets the GIL at each switch interval)."""
    until = time.monotonic() + seconds
    total = 0
    while time.monotonic() < until:
        total += sum(range(1000))


async def test_a_stalled_loop_does_not_count_as_a_redis_timeout(breaker_namespace: str) -> None:
    """The socket timeout runs on the breaker's thread: Redis answering within it is an
    answer even when the loop was busy for longer than the timeout (asyncio timeouts, which
    fire by loop time, would call it a failure)."""
    storage = SharedBreakerStorage(sync_redis_client(LOCAL, 0.05), breaker_namespace)
    other = SharedBreakerStorage(sync_redis_client(LOCAL, 0.5), breaker_namespace)
    other.state = pybreaker.STATE_OPEN
    await other.flush()
    refresh = asyncio.ensure_future(storage.refresh())
    await asyncio.sleep(0)  # the MGET is queued on the breaker's thread
    hog_the_loop(0.3)  # CPU work stalls the loop past the 0.05 s Redis timeout
    await refresh
    assert storage.shared  # Redis answered in time: no outage
    assert storage.state == pybreaker.STATE_OPEN


async def test_policy_reads_the_shared_state_before_each_call(breaker_namespace: str) -> None:
    config = ResilienceConfig(
        default=PolicyConfig(max_attempts=1, fail_max=2, reset_timeout_s=60),
        redis_url=LOCAL,
        breaker_namespace=breaker_namespace,
    )
    worker_a = PolicyRegistry(config, testing=True)
    worker_b = PolicyRegistry(config, testing=True)
    calls = 0

    async def down() -> str:
        nonlocal calls
        calls += 1
        raise ModelUnavailable("503")

    try:
        for _ in range(2):
            with pytest.raises(ModelUnavailable):
                await worker_a.call("llm:openai:m", down)
        assert worker_a.get("llm:openai:m").breaker_state == "open"
        await worker_a.get("llm:openai:m").flush_breaker()
        assert worker_b.get("llm:openai:m").breaker_state == "closed"  # not asked yet
        with pytest.raises(Exception, match="failed 2 calls in a row"):
            await worker_b.call("llm:openai:m", down)
        assert calls == 2
    finally:
        worker_a.close()
        worker_b.close()

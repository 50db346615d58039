"""Shared breaker state: Redis while it answers, process memory while it does not.

Needs redis-server (a private one per test, to kill and restart) and the local Redis.
"""

from __future__ import annotations

import logging
from typing import Any

import pybreaker
import pytest

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


def test_a_hung_redis_costs_one_timeout_and_the_breaker_still_opens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hole = Blackhole()
    try:
        client = CountingClient(sync_redis_client(hole.url, 0.1))
        storage = SharedBreakerStorage(client, "hung", retry_after_s=60)  # type: ignore[arg-type]
        cb = breaker(storage)
        with caplog.at_level(logging.WARNING, logger="review_bot.resilience.breaker"):
            trip(cb, 3)
            with pytest.raises(pybreaker.CircuitBreakerError):
                cb.call(fail)
    finally:
        hole.close()
    assert cb.current_state == pybreaker.STATE_OPEN  # counted in memory
    # one operation reached the hung Redis (its 0.1 s timeout); every later one skipped it
    assert len(client.operations) == 1, client.operations
    assert not storage.shared
    warnings = [r for r in caplog.records if "kept in process memory" in r.getMessage()]
    assert len(warnings) == 1  # one line per outage, not a traceback per operation


def test_state_is_shared_between_processes_and_with_pybreakers_own_storage(
    breaker_namespace: str,
) -> None:
    ours_a = breaker(SharedBreakerStorage(sync_redis_client(LOCAL, 0.5), breaker_namespace))
    ours_b = breaker(SharedBreakerStorage(sync_redis_client(LOCAL, 0.5), breaker_namespace))
    theirs = breaker(
        pybreaker.CircuitRedisStorage(
            pybreaker.STATE_CLOSED, sync_redis_client(LOCAL, 0.5), namespace=breaker_namespace
        )
    )
    trip(ours_a, 2)
    trip(theirs, 1)  # the third failure in a row, counted by pybreaker's storage
    assert theirs.current_state == pybreaker.STATE_OPEN
    with pytest.raises(pybreaker.CircuitBreakerError):
        ours_b.call(fail)
    assert ours_a.current_state == pybreaker.STATE_OPEN


def test_an_outage_continues_from_the_last_shared_state_and_redis_is_used_again() -> None:
    server = RedisProcess()
    server.start()
    clock = Clock()
    try:
        client = sync_redis_client(server.url, 0.2)
        storage = SharedBreakerStorage(client, "outage", retry_after_s=10, clock=clock)
        cb = breaker(storage)
        trip(cb, 2)
        assert client.get("outage:pybreaker:fail_counter") == b"2"
        port = server.port
        server.kill()
        trip(cb, 1)  # Redis is gone: the third failure is counted on top of the shared two
        assert cb.current_state == pybreaker.STATE_OPEN
        assert not storage.shared
        server = RedisProcess(port)
        server.start()
        clock.now += 5
        assert not storage.shared  # still waiting out retry_after_s
        clock.now += 6
        storage.state = pybreaker.STATE_CLOSED  # e.g. a successful probe
        assert storage.shared
        assert sync_redis_client(server.url, 0.2).get("outage:pybreaker:state") == b"closed"
    finally:
        server.kill()

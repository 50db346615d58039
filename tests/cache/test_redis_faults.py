"""Issue 4 acceptance 5: a hung or dead Redis costs a short timeout per operation until the
breaker opens, never an error; caching resumes once Redis is back.

Nothing here compares durations with a threshold (the machine's load reaches 20): "a short
timeout" is shown by what the store's policy counts (one attempt per operation, no retries,
then breaker rejections with no attempt at all), and a hang fails the ``HANG_S`` watchdog.
How long the miss takes is measured by ``benchmarks/`` instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from review_bot.cache import RedisStore, TieredCache
from review_bot.config.cache import CacheConfig
from tests.fakes.redis_servers import Blackhole, RedisProcess

T = TypeVar("T")
HANG_S = 60.0  # a watchdog for a hung operation, far above any timeout under test
RESUME_POLL_S = 0.05


def store_for(url: str, **config: object) -> RedisStore:
    settings = {"namespace": "faults", "breaker_fail_max": 3, "breaker_reset_s": 0.5, **config}
    return RedisStore(url, CacheConfig.model_validate(settings))


async def finished(op: Awaitable[T]) -> T:
    """``op``'s result; fails the test instead of hanging (a timeout that never fires)."""
    return await asyncio.wait_for(op, HANG_S)


async def test_a_port_that_never_answers_is_a_quick_miss_then_the_breaker_opens(
    blackhole: Blackhole,
) -> None:
    store = store_for(blackhole.url)
    client = store._client()
    # the socket timeouts are the configured short ones, and redis-py does not retry
    assert (
        client.connection_pool.connection_kwargs["socket_timeout"] == store.config.redis_timeout_s
    )
    for i in range(3):
        assert await finished(store.get(f"k{i}")) is None
        stats = store.policy.stats
        assert (stats.calls, stats.failures, stats.retries) == (i + 1, i + 1, 0)
    assert store.policy.breaker_state == "open"
    assert await finished(store.set("k", b"v", ttl_s=60)) is None
    # open breaker: rejected before any attempt (no socket at all)
    assert store.policy.stats.breaker_rejections == 1
    assert store.policy.stats.failures == 3
    assert store.stats.errors == 4
    await store.close()


async def test_killed_redis_mid_run_then_back(redis_process: RedisProcess) -> None:
    store = store_for(redis_process.url)
    cache = TieredCache(None, store, lease_wait_s=0.5)
    await cache.set("before", b"1", ttl_s=60)
    assert await cache.get("before") == b"1"

    redis_process.kill()
    for i in range(5):
        value = await finished(cache.get_or_compute(f"during{i}", _compute, ttl_s=60))
        assert value == b"computed"  # the review goes on without the cache
    stats = store.policy.stats
    assert stats.retries == 0
    assert store.policy.breaker_state == "open"
    assert stats.breaker_rejections >= 1  # once open, operations no longer try Redis

    redis_process.start()

    # Past the breaker's reset timeout the next call probes Redis. On a loaded machine the
    # first probe after a restart can still time out (and re-open the breaker): poll until
    # caching resumes; the watchdog fails the test if it never does.
    async def resumed() -> None:
        while True:
            await cache.set("after", b"2", ttl_s=60)
            if await cache.get("after") == b"2":
                return
            await asyncio.sleep(RESUME_POLL_S)

    await finished(resumed())
    assert store.policy.breaker_state == "closed"
    await store.close()


async def _compute() -> bytes:
    return b"computed"

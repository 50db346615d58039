"""Single flight in-process and across processes (two caches sharing one Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from review_bot.cache import MemoryStore, RedisStore, TieredCache
from review_bot.cache.store import CacheStats
from review_bot.config.cache import CacheConfig

REDIS_URL = "redis://127.0.0.1:6379/0"


class Upstream:
    """Counts calls; answers after ``delay_s``."""

    def __init__(self, delay_s: float = 0.05, fail: bool = False) -> None:
        self.calls = 0
        self.delay_s = delay_s
        self.fail = fail

    async def __call__(self) -> bytes:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise RuntimeError("upstream broke")
        return b"value"


async def until(condition: Callable[[], bool]) -> None:
    """Yield to the loop until ``condition`` holds (an event, not a guessed delay)."""
    async with asyncio.timeout(30):
        while True:
            if condition():
                return
            await asyncio.sleep(0)


def process_cache(namespace: str, **config: object) -> TieredCache:
    """What one worker process would build: its own L1, the shared Redis."""
    settings = CacheConfig.model_validate({"namespace": namespace, **config})
    return TieredCache(
        MemoryStore(1 << 20),
        RedisStore(REDIS_URL, settings),
        lease_ttl_s=settings.lease_ttl_s,
        lease_wait_s=settings.lease_wait_s,
        lease_poll_s=0.01,
    )


async def test_concurrent_identical_misses_make_one_call(namespace: str) -> None:
    cache = process_cache(namespace)
    upstream = Upstream()
    stats = CacheStats()
    values = await asyncio.gather(
        *(cache.get_or_compute("k", upstream, ttl_s=60, stats=stats) for _ in range(20))
    )
    assert values == [b"value"] * 20
    assert upstream.calls == 1
    assert stats.misses == 1
    assert stats.hits == 19
    assert stats.stores == 1
    await cache.close()


async def test_a_failure_reaches_every_waiter_and_is_not_cached(namespace: str) -> None:
    cache = process_cache(namespace)
    upstream = Upstream(fail=True)
    results = await asyncio.gather(
        *(cache.get_or_compute("k", upstream, ttl_s=60) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert upstream.calls == 1
    upstream.fail = False
    assert await cache.get_or_compute("k", upstream, ttl_s=60) == b"value"
    assert upstream.calls == 2
    await cache.close()


async def test_two_processes_share_one_call_through_the_lease(namespace: str) -> None:
    first, second = process_cache(namespace), process_cache(namespace)
    upstream = Upstream(delay_s=0.2)
    values = await asyncio.gather(
        first.get_or_compute("k", upstream, ttl_s=60),
        second.get_or_compute("k", upstream, ttl_s=60),
    )
    assert values == [b"value", b"value"]
    assert upstream.calls == 1
    assert first.stats.lease_waits + second.stats.lease_waits == 1
    await first.close()
    await second.close()


async def test_a_dead_lease_holder_is_taken_over(namespace: str) -> None:
    # long enough that a loaded machine cannot let it lapse before the lookup starts
    cache = process_cache(namespace, lease_ttl_s=1.0)
    assert cache.l2 is not None
    dead = await cache.l2.acquire_lease("k", ttl_s=1.0)  # a holder that never finishes
    assert dead.token is not None
    upstream = Upstream()
    assert await cache.get_or_compute("k", upstream, ttl_s=60) == b"value"
    assert upstream.calls == 1
    assert cache.stats.lease_waits == 1
    await cache.close()


async def test_disabled_cache_always_calls() -> None:
    cache = TieredCache(MemoryStore(1000), None, enabled=False)
    upstream = Upstream(delay_s=0)
    for _ in range(3):
        await cache.get_or_compute("k", upstream, ttl_s=60)
    assert upstream.calls == 3


async def test_l2_hits_fill_l1(namespace: str) -> None:
    writer, reader = process_cache(namespace), process_cache(namespace)
    await writer.set("k", b"v", ttl_s=60, tags=["repo:r"])
    assert await reader.get("k") == b"v"
    assert reader.stats.l2_hits == 1
    assert await reader.get("k") == b"v"
    assert reader.stats.l1_hits == 1
    assert await writer.invalidate_tag("repo:r") == 1
    assert await writer.get("k") is None
    await writer.close()
    await reader.close()


@pytest.mark.parametrize("l1_bytes", [0, 1 << 20])
async def test_cancelled_computation_lets_a_waiter_compute(l1_bytes: int) -> None:
    cache = TieredCache(MemoryStore(l1_bytes), None)
    slow = Upstream(delay_s=10)
    first = asyncio.create_task(cache.get_or_compute("k", slow, ttl_s=60))
    await until(lambda: slow.calls == 1)  # the first is computing
    fast = Upstream(delay_s=0)
    waiter = asyncio.create_task(cache.get_or_compute("k", fast, ttl_s=60))
    await until(lambda: cache.stats.coalesced == 1)  # the waiter waits on its flight
    first.cancel()
    assert await waiter == b"value"
    assert fast.calls == 1

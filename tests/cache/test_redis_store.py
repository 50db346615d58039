"""RedisStore against the real Redis on 127.0.0.1:6379 (a unique namespace per test)."""

from __future__ import annotations

import asyncio

import redis

from review_bot.cache import RedisStore
from review_bot.config.cache import CacheConfig
from tests.fakes.redis_servers import RedisProcess

REDIS_URL = "redis://127.0.0.1:6379/0"


def store_for(namespace: str, url: str = REDIS_URL, **config: object) -> RedisStore:
    return RedisStore(url, CacheConfig.model_validate({"namespace": namespace, **config}))


async def test_round_trip_with_ttl_and_schema_versioned_keys(namespace: str) -> None:
    store = store_for(namespace)
    await store.set("completion:abc", b"answer", ttl_s=60)
    assert await store.get("completion:abc") == b"answer"
    assert await store.get("completion:missing") is None
    raw = redis.Redis.from_url(REDIS_URL)
    ttl = raw.pttl(f"{namespace}:v1:completion:abc")
    raw.close()
    assert 0 < ttl <= 60_000
    await store.close()


async def test_values_over_the_size_cap_are_not_stored(namespace: str) -> None:
    store = store_for(namespace, max_value_bytes=10)
    await store.set("k", b"x" * 11, ttl_s=60)
    assert await store.get("k") is None
    assert store.stats.oversize == 1
    await store.close()


async def test_garbage_in_redis_reads_as_a_miss(namespace: str) -> None:
    store = store_for(namespace)
    raw = redis.Redis.from_url(REDIS_URL)
    raw.set(f"{namespace}:v1:k", b"\x00garbage that is not ours")
    raw.close()
    assert await store.get("k") is None
    assert store.stats.corrupt == 1
    await store.close()


async def test_tag_invalidation(namespace: str) -> None:
    store = store_for(namespace)
    await store.set("a", b"1", ttl_s=60, tags=["model:openai:m", "repo:r"])
    await store.set("b", b"2", ttl_s=60, tags=["tool:ruff:0.8", "repo:r"])
    assert await store.invalidate_tag("model:openai:m") == 1
    assert await store.get("a") is None
    assert await store.get("b") == b"2"
    assert await store.invalidate_tag("repo:r") == 1
    assert await store.get("b") is None
    await store.close()


async def test_leases_are_exclusive_and_expire(namespace: str) -> None:
    store = store_for(namespace)
    lease = await store.acquire_lease("k", ttl_s=0.2)
    assert lease.token is not None
    assert (await store.acquire_lease("k", ttl_s=0.2)).held_elsewhere

    # Redis expires the lease on its own clock: wait for that, not for a guessed duration
    async def taken_over() -> str | None:
        while (lease := await store.acquire_lease("k", ttl_s=5)).token is None:
            assert lease.held_elsewhere
            await asyncio.sleep(0.02)
        return lease.token

    assert await asyncio.wait_for(taken_over(), 30) is not None  # takeover after expiry
    await store.release_lease("k", lease.token)  # stale: must not free the new holder's lease
    assert (await store.acquire_lease("k", ttl_s=5)).held_elsewhere
    await store.close()


async def test_out_of_memory_redis_refuses_writes_without_an_error(
    redis_process: RedisProcess,
) -> None:
    raw = redis.Redis.from_url(redis_process.url)
    raw.config_set("maxmemory-policy", "noeviction")
    raw.config_set("maxmemory", "1")
    raw.close()
    store = store_for("oom", url=redis_process.url)
    await store.set("k", b"value", ttl_s=60)
    assert await store.get("k") is None
    assert store.stats.errors >= 1
    await store.close()


async def test_a_tag_set_outlives_every_entry_under_it(namespace: str) -> None:
    """A repository's tag set must not expire before its longest-lived entry, or erasing
    the repository would miss that entry."""
    store = store_for(namespace)
    await store.set("completion:long", b"1", ttl_s=3600, tags=["repo:acme/widgets"])
    await store.set("tool:short", b"2", ttl_s=60, tags=["repo:acme/widgets"])
    raw = redis.Redis.from_url(REDIS_URL)
    ttl = raw.pttl(f"{namespace}:v1:tag:repo:acme/widgets")
    raw.close()
    assert 60_000 < ttl <= 3_600_000
    assert await store.invalidate_tag("repo:acme/widgets") == 2
    await store.close()

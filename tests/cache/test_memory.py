from __future__ import annotations

from review_bot.cache import MemoryStore


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_lru_is_bounded_in_bytes_and_evicts_the_least_recently_used() -> None:
    store = MemoryStore(max_bytes=10)
    await store.set("a", b"1234", None)
    await store.set("b", b"1234", None)
    assert await store.get("a") == b"1234"  # a is now the most recent
    await store.set("c", b"1234", None)
    assert await store.get("b") is None
    assert await store.get("a") == b"1234"
    assert store.size_bytes <= 10


async def test_values_larger_than_the_bound_are_not_kept() -> None:
    store = MemoryStore(max_bytes=4)
    await store.set("big", b"12345", None)
    assert await store.get("big") is None
    assert store.size_bytes == 0


async def test_entries_expire() -> None:
    clock = Clock()
    store = MemoryStore(max_bytes=100, clock=clock)
    await store.set("k", b"v", ttl_s=5)
    clock.now = 4.9
    assert await store.get("k") == b"v"
    clock.now = 5.0
    assert await store.get("k") is None


async def test_tag_invalidation_drops_only_tagged_entries() -> None:
    store = MemoryStore(max_bytes=100)
    await store.set("a", b"1", None, tags=["model:openai:m"])
    await store.set("b", b"2", None, tags=["tool:ruff:0.8"])
    assert await store.invalidate_tag("model:openai:m") == 1
    assert await store.get("a") is None
    assert await store.get("b") == b"2"


async def test_leases_are_exclusive_until_released_or_expired() -> None:
    clock = Clock()
    store = MemoryStore(max_bytes=100, clock=clock)
    first = await store.acquire_lease("k", ttl_s=1)
    assert first.token is not None
    assert (await store.acquire_lease("k", ttl_s=1)).held_elsewhere
    clock.now = 2
    taken = await store.acquire_lease("k", ttl_s=1)
    assert taken.token is not None
    await store.release_lease("k", first.token)  # stale token: no effect
    assert (await store.acquire_lease("k", ttl_s=1)).held_elsewhere

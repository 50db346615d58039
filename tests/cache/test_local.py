from __future__ import annotations

import sqlite3
from pathlib import Path

from review_bot.cache import SqliteStore
from review_bot.cache.envelope import seal


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_values_survive_a_new_process(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path, max_value_bytes=1000)
    await first.set("k", b"value", ttl_s=60, tags=["repo:x"])
    await first.close()
    second = SqliteStore(tmp_path, max_value_bytes=1000)
    assert await second.get("k") == b"value"
    assert await second.invalidate_tag("repo:x") == 1
    assert await second.get("k") is None
    await second.close()


async def test_expired_and_oversized_values_are_misses(tmp_path: Path) -> None:
    clock = Clock()
    store = SqliteStore(tmp_path, max_value_bytes=4, clock=clock)
    await store.set("big", b"12345", ttl_s=60)
    await store.set("k", b"1234", ttl_s=60)
    assert await store.get("big") is None
    assert store.stats.oversize == 1
    clock.now += 61
    assert await store.get("k") is None
    await store.close()


async def test_a_corrupted_value_reads_as_a_miss(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path, max_value_bytes=1000)
    await store.set("k", b"value", ttl_s=60)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE entries SET value = ? WHERE key = 'k'", (seal(b"value")[:-1] + b"X",))
    assert await store.get("k") is None
    assert store.stats.corrupt == 1
    await store.close()


async def test_an_unusable_cache_file_is_a_miss_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "cache-v1.sqlite3").write_bytes(b"this is not a database" * 100)
    store = SqliteStore(tmp_path, max_value_bytes=1000)
    await store.set("k", b"v", ttl_s=60)
    assert await store.get("k") is None
    assert store.stats.errors >= 1
    await store.close()


async def test_an_expired_lease_is_taken_over(tmp_path: Path) -> None:
    clock = Clock()
    store = SqliteStore(tmp_path, max_value_bytes=1000, clock=clock)
    assert (await store.acquire_lease("k", ttl_s=5)).token is not None
    assert (await store.acquire_lease("k", ttl_s=5)).held_elsewhere
    clock.now += 6
    assert (await store.acquire_lease("k", ttl_s=5)).token is not None
    await store.close()

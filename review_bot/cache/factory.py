"""Build the process's cache from configuration."""

from __future__ import annotations

from review_bot.cache.local import SqliteStore
from review_bot.cache.memory import MemoryStore
from review_bot.cache.redis_store import RedisStore
from review_bot.cache.store import CacheStore
from review_bot.cache.tiered import TieredCache
from review_bot.config.cache import CacheConfig

__all__ = ["build_cache"]


def build_cache(config: CacheConfig) -> TieredCache:
    """L1 always; L2 is Redis when ``redis_url`` is set, else the local store when
    ``local_dir`` is set, else nothing. Nothing connects until first use."""
    l1 = MemoryStore(config.l1_max_bytes) if config.l1_max_bytes > 0 else None
    l2: CacheStore | None = None
    if config.redis_url:
        l2 = RedisStore(config.redis_url, config)
    elif config.local_dir is not None:
        l2 = SqliteStore(config.local_dir, config.max_value_bytes)
    cache = TieredCache(
        l1,
        l2,
        lease_ttl_s=config.lease_ttl_s,
        lease_wait_s=config.lease_wait_s,
        lease_poll_s=config.lease_poll_s,
        enabled=config.enabled,
    )
    if isinstance(l2, RedisStore | SqliteStore):
        l2.stats = cache.stats  # one set of process-wide counters
    return cache

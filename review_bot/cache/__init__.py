"""Caching of model completions and tool outputs, content-addressed.

L1 in-process (LRU bounded in bytes) → L2 Redis (``REDIS_URL``) or a local sqlite store.
A broken backend is a miss, never an error; concurrent identical misses make one call.
Build one :class:`TieredCache` per process with :func:`build_cache` and inject it.
"""

from review_bot.cache.factory import build_cache
from review_bot.cache.keys import (
    SCHEMA_VERSION,
    canonical_json,
    completion_key,
    content_hash,
    model_tag,
    repo_tag,
    tool_output_key,
    tool_tag,
)
from review_bot.cache.local import SqliteStore
from review_bot.cache.memory import MemoryStore
from review_bot.cache.redis_store import RedisStore
from review_bot.cache.store import CacheStats, CacheStore, Lease
from review_bot.cache.tiered import TieredCache

__all__ = [
    "SCHEMA_VERSION",
    "CacheStats",
    "CacheStore",
    "Lease",
    "MemoryStore",
    "RedisStore",
    "SqliteStore",
    "TieredCache",
    "build_cache",
    "canonical_json",
    "completion_key",
    "content_hash",
    "model_tag",
    "repo_tag",
    "tool_output_key",
    "tool_tag",
]

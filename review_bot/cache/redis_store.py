"""L2 in Redis: short timeouts, no client retries, its own breaker, corrupt values = miss.

A cache must never fail or stall a review: every operation is bounded by
``redis_timeout_s`` (socket and overall), failures read as misses, and after
``breaker_fail_max`` failures in a row the breaker stops trying for ``breaker_reset_s``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.driver_info import DriverInfo

from review_bot.cache.envelope import open_envelope, seal
from review_bot.cache.keys import SCHEMA_VERSION
from review_bot.cache.store import CacheStats, Lease
from review_bot.config.cache import CacheConfig
from review_bot.config.resilience import PolicyConfig
from review_bot.errors import CacheError, DependencyUnavailable
from review_bot.resilience.policy import Policy

__all__ = ["RedisStore", "redis_key_prefix"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def redis_key_prefix(config: CacheConfig) -> str:
    """What every cache key in Redis starts with (``<namespace>:v<schema>``); entries are
    ``<prefix>:<key>``, tag sets ``<prefix>:tag:<tag>``, leases ``<prefix>:lease:<key>``."""
    return f"{config.namespace}:v{SCHEMA_VERSION}"


class _Failed:
    """Marker: the operation did not happen (Redis down, slow, refusing, breaker open)."""


_FAILED = _Failed()


class RedisStore:
    """The CacheStore on Redis (``redis.asyncio``); one client per event loop.

    Args:
        url: the Redis URL.
        config: timeouts, size cap, namespace, breaker settings.
        stats: where errors/corrupt/oversize are counted (process-wide).
    """

    def __init__(self, url: str, config: CacheConfig, stats: CacheStats | None = None) -> None:
        self.url = url
        self.config = config
        self.stats = stats or CacheStats()
        self.prefix = redis_key_prefix(config)
        timeout = config.redis_timeout_s
        self.policy = Policy(
            "redis",
            PolicyConfig(
                max_attempts=1,
                attempt_timeout_s=timeout,
                min_budget_s=0,
                max_concurrency=1024,
                bulkhead_wait_s=timeout,
                fail_max=config.breaker_fail_max,
                reset_timeout_s=config.breaker_reset_s,
            ),
        )
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis]
        self._clients = weakref.WeakKeyDictionary()

    def _client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            timeout = self.config.redis_timeout_s
            client = aioredis.Redis.from_url(
                self.url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
                decode_responses=False,
                # no CLIENT SETINFO round trips on each new connection
                driver_info=DriverInfo(name=None, lib_version=None),
            )
            self._clients[loop] = client
        return client

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def _tag_key(self, tag: str) -> str:
        return f"{self.prefix}:tag:{tag}"

    def _lease_key(self, key: str) -> str:
        return f"{self.prefix}:lease:{key}"

    async def _run(self, what: str, op: Callable[[aioredis.Redis], Awaitable[T]]) -> T | _Failed:
        async def attempt() -> T:
            try:
                return await op(self._client())
            except (redis.RedisError, OSError) as exc:
                raise CacheError(f"Redis {what} failed: {type(exc).__name__}: {exc}") from exc

        try:
            return await self.policy.call(attempt)
        except (CacheError, DependencyUnavailable) as exc:
            self.stats.errors += 1
            log.info(
                "cache %s treated as a miss: %s",
                what,
                exc,
                extra={"event": "cache.error", "op": what, "error_type": type(exc).__name__},
            )
            return _FAILED

    async def get(self, key: str) -> bytes | None:
        """The value, or None on a miss, a failure, or bytes that fail their checksum."""
        raw = await self._run("get", lambda r: r.get(self._key(key)))
        if not isinstance(raw, bytes):
            return None
        value = open_envelope(raw)
        if value is None:
            self.stats.corrupt += 1
            log.warning(
                "cache value for %s failed its checksum; ignored",
                key,
                extra={"event": "cache.corrupt", "key": key},
            )
        return value

    async def set(
        self, key: str, value: bytes, ttl_s: float | None, tags: Sequence[str] = ()
    ) -> None:
        """Store unless over the size cap; tags are Redis sets of keys."""
        if len(value) > self.config.max_value_bytes:
            self.stats.oversize += 1
            return
        full = self._key(key)
        ttl_ms = int(ttl_s * 1000) if ttl_s is not None else None

        async def write(r: aioredis.Redis) -> Any:
            pipe = r.pipeline(transaction=False)
            pipe.set(full, seal(value), px=ttl_ms)
            for tag in tags:
                pipe.sadd(self._tag_key(tag), full)
                if ttl_ms is not None:  # the set lives as long as its longest-lived entry
                    pipe.pexpire(self._tag_key(tag), ttl_ms, nx=True)
                    pipe.pexpire(self._tag_key(tag), ttl_ms, gt=True)
            return await pipe.execute()

        await self._run("set", write)

    async def invalidate_tag(self, tag: str) -> int:
        """Delete every key stored under ``tag``."""

        async def drop(r: aioredis.Redis) -> int:
            keys = list(await r.smembers(self._tag_key(tag)))
            dropped = 0
            for start in range(0, len(keys), 500):
                dropped += int(await r.delete(*keys[start : start + 500]))
            await r.delete(self._tag_key(tag))
            return dropped

        result = await self._run("invalidate_tag", drop)
        return 0 if isinstance(result, _Failed) else result

    async def acquire_lease(self, key: str, ttl_s: float) -> Lease:
        """SET NX PX: the lease expires by itself if its holder dies (takeover)."""
        token = uuid.uuid4().hex
        got = await self._run(
            "lease", lambda r: r.set(self._lease_key(key), token, nx=True, px=int(ttl_s * 1000))
        )
        if isinstance(got, _Failed):
            return Lease()
        return Lease(token=token) if got else Lease(held_elsewhere=True)

    async def release_lease(self, key: str, token: str) -> None:
        """Delete the lease only if it is still ours."""
        await self._run("release", lambda r: r.eval(_RELEASE, 1, self._lease_key(key), token))

    async def close(self) -> None:
        """Close the running loop's client."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()

"""Shared state of the service: dedup claims, posted-review markers, PR state, semaphores.

:class:`RedisStore` is what several processes share; :class:`MemoryStore` has the same
interface for the embedded single-process default and for tests. Every key is prefixed so
deployments (and test runs) sharing one Redis stay apart.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from review_bot.errors import DependencyUnavailable

__all__ = ["MemoryStore", "RedisStore", "StateStore"]

# Scores are lease expiry times (server clock); expired holders are dropped before counting.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1])) + 1)
  return 1
end
return 0
"""


_POOL_SIZE = 100
_POOL_WAIT_S = 2.0


class StateStore(Protocol):
    """Small atomic operations the webhook and the workers rely on."""

    async def claim(self, key: str, ttl_s: float) -> bool:
        """Set ``key`` only if absent (for ``ttl_s``); True when this caller set it."""

    async def claim_many(self, keys: Sequence[str], ttl_s: float) -> list[bool]:
        """:meth:`claim` each key, in one round trip; True for each key this caller set."""

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        """Set ``key`` to ``value`` for ``ttl_s`` seconds, whatever it held."""

    async def put_many(self, items: Mapping[str, str], ttl_s: float) -> None:
        """:meth:`put` each item, in one round trip."""

    async def get(self, key: str) -> str | None:
        """The value of ``key``, or None."""

    async def delete(self, key: str) -> None:
        """Remove ``key``."""

    async def acquire_slot(self, name: str, limit: int, lease_s: float) -> str | None:
        """Take one of ``limit`` slots of semaphore ``name``; the token, or None when full."""

    async def release_slot(self, name: str, token: str) -> None:
        """Give back a slot taken with :meth:`acquire_slot`."""

    async def incr(self, key: str, ttl_s: float) -> int:
        """Add one to the counter ``key`` (expiring ``ttl_s`` after creation); the new count."""

    async def ping(self) -> bool:
        """True when the store answers."""

    async def aclose(self) -> None:
        """Release connections."""


class MemoryStore:
    """In-process store with expiry, for the embedded service and tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._values: dict[str, tuple[str, float]] = {}
        self._slots: dict[str, dict[str, float]] = {}

    def _live(self, key: str) -> str | None:
        item = self._values.get(key)
        if item is None:
            return None
        if item[1] <= self._clock():
            del self._values[key]
            return None
        return item[0]

    async def claim(self, key: str, ttl_s: float) -> bool:
        """Set ``key`` if absent."""
        if self._live(key) is not None:
            return False
        self._values[key] = ("1", self._clock() + ttl_s)
        return True

    async def claim_many(self, keys: Sequence[str], ttl_s: float) -> list[bool]:
        """Claim each key."""
        return [await self.claim(key, ttl_s) for key in keys]

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        """Set ``key``."""
        self._values[key] = (value, self._clock() + ttl_s)

    async def put_many(self, items: Mapping[str, str], ttl_s: float) -> None:
        """Set each key."""
        for key, value in items.items():
            await self.put(key, value, ttl_s)

    async def get(self, key: str) -> str | None:
        """Read ``key``."""
        return self._live(key)

    async def delete(self, key: str) -> None:
        """Remove ``key``."""
        self._values.pop(key, None)

    async def acquire_slot(self, name: str, limit: int, lease_s: float) -> str | None:
        """Take a slot if fewer than ``limit`` live leases are held."""
        now = self._clock()
        holders = {t: exp for t, exp in self._slots.get(name, {}).items() if exp > now}
        self._slots[name] = holders
        if len(holders) >= limit:
            return None
        token = uuid.uuid4().hex
        holders[token] = now + lease_s
        return token

    async def release_slot(self, name: str, token: str) -> None:
        """Drop the lease ``token``."""
        self._slots.get(name, {}).pop(token, None)

    async def incr(self, key: str, ttl_s: float) -> int:
        """Count up ``key``; an expired counter starts again."""
        count = int(self._live(key) or 0) + 1
        expires = self._values[key][1] if count > 1 else self._clock() + ttl_s
        self._values[key] = (str(count), expires)
        return count

    async def ping(self) -> bool:
        """Always reachable."""
        return True

    async def aclose(self) -> None:
        """Nothing to close."""


class RedisStore:
    """The store on Redis; errors become :class:`DependencyUnavailable` naming the step."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisStore:
        """A store on the Redis at ``url`` (short timeouts: the webhook must answer fast)."""
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=_POOL_SIZE,
            timeout=_POOL_WAIT_S,
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
            decode_responses=True,
        )  # a burst waits for a connection: redis-py's default pool refuses the 101st
        client = aioredis.Redis.from_pool(pool)
        return cls(client, prefix)

    def _k(self, key: str) -> str:
        return self._prefix + key

    async def claim(self, key: str, ttl_s: float) -> bool:
        """SET NX PX."""
        try:
            return bool(await self._redis.set(self._k(key), "1", nx=True, px=int(ttl_s * 1000)))
        except RedisError as exc:
            raise _unavailable("cannot claim a key", exc) from exc

    async def claim_many(self, keys: Sequence[str], ttl_s: float) -> list[bool]:
        """SET NX PX for each key, pipelined (not a transaction: each claim stands alone)."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(self._k(key), "1", nx=True, px=int(ttl_s * 1000))
                results = await pipe.execute()
        except RedisError as exc:
            raise _unavailable("cannot claim keys", exc) from exc
        return [bool(r) for r in results]

    async def put(self, key: str, value: str, ttl_s: float) -> None:
        """SET PX."""
        try:
            await self._redis.set(self._k(key), value, px=int(ttl_s * 1000))
        except RedisError as exc:
            raise _unavailable("cannot write a key", exc) from exc

    async def put_many(self, items: Mapping[str, str], ttl_s: float) -> None:
        """SET PX for each item, pipelined."""
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(self._k(key), value, px=int(ttl_s * 1000))
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable("cannot write keys", exc) from exc

    async def get(self, key: str) -> str | None:
        """GET."""
        try:
            value = await self._redis.get(self._k(key))
        except RedisError as exc:
            raise _unavailable("cannot read a key", exc) from exc
        return None if value is None else str(value)

    async def delete(self, key: str) -> None:
        """DEL."""
        try:
            await self._redis.delete(self._k(key))
        except RedisError as exc:
            raise _unavailable("cannot delete a key", exc) from exc

    async def acquire_slot(self, name: str, limit: int, lease_s: float) -> str | None:
        """One atomic script: drop expired leases, count, add ours if below ``limit``."""
        token = uuid.uuid4().hex
        try:
            got = await self._acquire(keys=[self._k(f"sem:{name}")], args=[lease_s, limit, token])
        except RedisError as exc:
            raise _unavailable(f"semaphore {name!r} failed", exc) from exc
        return token if int(got) == 1 else None

    async def release_slot(self, name: str, token: str) -> None:
        """ZREM our lease."""
        try:
            await self._redis.zrem(self._k(f"sem:{name}"), token)
        except RedisError as exc:
            raise _unavailable(f"semaphore {name!r} release failed", exc) from exc

    async def incr(self, key: str, ttl_s: float) -> int:
        """INCR, and PEXPIRE NX so the window's expiry is set once, by its first unit."""
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(self._k(key))
                pipe.pexpire(self._k(key), int(ttl_s * 1000), nx=True)
                count, _ = await pipe.execute()
        except RedisError as exc:
            raise _unavailable(f"counter {key!r} failed", exc) from exc
        return int(count)

    async def ping(self) -> bool:
        """PING within the socket timeout."""
        try:
            return bool(await self._redis.ping())
        except RedisError:
            return False

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


def _unavailable(what: str, exc: Exception) -> DependencyUnavailable:
    return DependencyUnavailable(f"redis: {what} ({exc.__class__.__name__}); check REDIS_URL")

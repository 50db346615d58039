"""Per-subject rate limits and daily review quotas, counted in Redis with ``limits``.

Every authenticated request counts against the subject's per-minute rate; every accepted
submission also against its daily review quota, both sized by the subject's plan. Windows
are fixed (a minute, a day, from the window's first hit): one atomic ``INCR`` + expiry per
hit, shared by every process on the Redis. Answers carry ``RateLimit-Limit``/``-Remaining``/
``-Reset`` and ``RateLimit-Policy`` (the IETF draft's fields); a refusal is 429 with
``Retry-After``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.errors import StorageError

from review_bot.config.api import ApiConfig
from review_bot.service.api.auth import Principal
from review_bot.service.api.errors import ApiError

__all__ = ["Limits", "Usage"]

POOL_SIZE = 64
POOL_WAIT_S = 2.0


@dataclass(frozen=True)
class Usage:
    """One window's state after a hit."""

    limit: int
    remaining: int
    reset_s: int
    window_s: int

    def headers(self) -> dict[str, str]:
        """The RateLimit-* fields."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
            "RateLimit-Policy": f"{self.limit};w={self.window_s}",
        }


class Limits:
    """The rate and quota counters of the API."""

    def __init__(
        self,
        config: ApiConfig,
        storage: Storage,
        pool: aioredis.BlockingConnectionPool | None = None,
    ) -> None:
        self._config = config
        self._storage = storage
        self._pool = pool

    @classmethod
    def build(cls, config: ApiConfig, redis_url: str | None, prefix: str) -> Limits:
        """Counters on Redis when configured, else in this process."""
        if not redis_url:
            return cls(config, MemoryStorage())
        pool = aioredis.BlockingConnectionPool.from_url(
            redis_url, max_connections=POOL_SIZE, timeout=POOL_WAIT_S, socket_timeout=2.0
        )  # a burst waits for a connection instead of failing with MaxConnectionsError
        storage = RedisStorage(
            redis_url,
            implementation="redispy",
            key_prefix=f"{prefix}api:limits",
            wrap_exceptions=True,
            connection_pool=pool,  # type: ignore[arg-type]  # limits' options are typed as scalars
        )
        return cls(config, storage, pool)

    async def request(self, who: Principal) -> Usage:
        """Count one request against the per-minute rate; 429 ``rate_limited`` when over."""
        item = RateLimitItemPerMinute(self._config.rate(who.plan))
        return await self._hit(item, who, "rate", "rate_limited", "requests a minute")

    async def review(self, who: Principal) -> Usage:
        """Count one submission against the daily quota; 429 ``quota_exceeded`` when over."""
        item = RateLimitItemPerDay(self._config.quota(who.plan))
        return await self._hit(item, who, "quota", "quota_exceeded", "reviews a day")

    async def _hit(
        self, item: RateLimitItem, who: Principal, scope: str, code: str, what: str
    ) -> Usage:
        # what FixedWindowRateLimiter.hit does (an atomic incr with the window's expiry), but
        # keeping the count it returns: the remaining budget without reading it back
        key = item.key_for(scope, who.sub)
        try:
            count = await self._storage.incr(key, item.get_expiry(), amount=1)
            reset_at = await self._storage.get_expiry(key)
        except StorageError as exc:
            raise ApiError(
                503, "unavailable", "the rate-limit store (Redis) is unavailable; try again"
            ) from exc
        reset = max(0, math.ceil(reset_at - time.time()))
        usage = Usage(item.amount, max(0, item.amount - count), reset, item.get_expiry())
        if count > item.amount:
            raise ApiError(
                429,
                code,
                f"{who.sub!r} on plan {who.plan!r} has used its {item.amount} {what}; "
                f"try again in {reset}s",
                headers={**usage.headers(), "Retry-After": str(max(1, reset))},
            )
        return usage

    async def aclose(self) -> None:
        """Close the Redis connections."""
        if self._pool is not None:
            await self._pool.aclose()

"""L1 → L2 lookups and single flight: concurrent identical misses make one upstream call.

In-process, waiters share one future per key; across processes, the first takes a lease in
L2 (SET NX PX) and the others poll L2 for its value, taking the lease over if it expires
(its holder died). A waiter never waits past ``lease_wait_s``: then it computes itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Sequence

from review_bot.cache.memory import MemoryStore
from review_bot.cache.store import CacheStats, CacheStore, Compute

__all__ = ["TieredCache"]

log = logging.getLogger(__name__)


class TieredCache:
    """The cache the pipeline uses; build one per process (see ``build_cache``).

    Args:
        l1: the in-process LRU (None: no L1).
        l2: Redis or the local store (None: no L2).
        lease_ttl_s / lease_wait_s / lease_poll_s: cross-process single-flight timing.
        enabled: False makes every lookup a miss and stores nothing.
    """

    def __init__(
        self,
        l1: MemoryStore | None,
        l2: CacheStore | None,
        *,
        lease_ttl_s: float = 30.0,
        lease_wait_s: float = 60.0,
        lease_poll_s: float = 0.05,
        enabled: bool = True,
    ) -> None:
        self.l1 = l1
        self.l2 = l2
        self.lease_ttl_s = lease_ttl_s
        self.lease_wait_s = lease_wait_s
        self.lease_poll_s = lease_poll_s
        self.enabled = enabled
        self.stats = CacheStats()
        self._flights: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Future[bytes]]
        ] = weakref.WeakKeyDictionary()

    def _count(self, stats: CacheStats | None, counter: str) -> None:
        for s in (self.stats, stats):
            if s is not None:
                setattr(s, counter, getattr(s, counter) + 1)

    async def get(self, key: str, stats: CacheStats | None = None) -> bytes | None:
        """L1, then L2 (copying an L2 hit into L1). Counts a hit or a miss."""
        value = await self._lookup(key, stats)
        self._count(stats, "hits" if value is not None else "misses")
        return value

    async def _lookup(self, key: str, stats: CacheStats | None) -> bytes | None:
        if not self.enabled:
            return None
        if self.l1 is not None:
            value = await self.l1.get(key)
            if value is not None:
                self._count(stats, "l1_hits")
                return value
        if self.l2 is not None:
            value = await self.l2.get(key)
            if value is not None:
                self._count(stats, "l2_hits")
                if self.l1 is not None:
                    await self.l1.set(key, value, None)
                return value
        return None

    async def set(
        self,
        key: str,
        value: bytes,
        ttl_s: float | None,
        tags: Sequence[str] = (),
        stats: CacheStats | None = None,
    ) -> None:
        """Store in L1 and L2 (counted in the process's and ``stats``' ``stores``)."""
        if not self.enabled:
            return
        self._count(stats, "stores")
        if self.l1 is not None:
            await self.l1.set(key, value, ttl_s, tags)
        if self.l2 is not None:
            await self.l2.set(key, value, ttl_s, tags)

    async def invalidate_tag(self, tag: str) -> int:
        """Drop ``tag``'s entries everywhere; returns how many L2 (else L1) entries went."""
        dropped = await self.l1.invalidate_tag(tag) if self.l1 is not None else 0
        if self.l2 is not None:
            dropped = await self.l2.invalidate_tag(tag)
        return dropped

    async def get_or_compute(
        self,
        key: str,
        compute: Compute,
        *,
        ttl_s: float | None,
        tags: Sequence[str] = (),
        stats: CacheStats | None = None,
    ) -> bytes:
        """The cached value of ``key``, computing and storing it once on a miss.

        ``compute``'s exceptions propagate (to every in-process waiter) and nothing is stored.
        """
        if not self.enabled:
            self._count(stats, "misses")
            return await compute()
        flights = self._flights.setdefault(asyncio.get_running_loop(), {})
        while True:
            flight = flights.get(key)
            if flight is None:
                break
            self._count(stats, "coalesced")
            try:
                shared = await asyncio.shield(flight)
            except asyncio.CancelledError:
                if flight.cancelled():
                    continue  # the computing task was cancelled, not us: try again
                raise
            self._count(stats, "hits")
            return shared
        flight = asyncio.get_running_loop().create_future()
        flights[key] = flight  # before any await: later arrivals wait on it
        try:
            cached = await self._lookup(key, stats)
            if cached is not None:
                value, computed = cached, False
            else:
                value, computed = await self._fill(key, compute, ttl_s, tags, stats)
        except asyncio.CancelledError:
            flight.cancel()
            raise
        except BaseException as exc:
            flight.set_exception(exc)
            flight.exception()  # retrieved: no "never retrieved" noise when nobody waited
            raise
        else:
            flight.set_result(value)
        finally:
            if flights.get(key) is flight:
                del flights[key]
        self._count(stats, "misses" if computed else "hits")
        return value

    async def _fill(
        self,
        key: str,
        compute: Compute,
        ttl_s: float | None,
        tags: Sequence[str],
        stats: CacheStats | None,
    ) -> tuple[bytes, bool]:
        """(value, computed here?) — waits for another process's lease holder when there is one."""
        token: str | None = None
        if self.l2 is not None:
            give_up_at = time.monotonic() + self.lease_wait_s
            lease = await self.l2.acquire_lease(key, self.lease_ttl_s)
            waited = False
            while lease.held_elsewhere and time.monotonic() < give_up_at:
                if not waited:
                    waited = True
                    self._count(stats, "lease_waits")
                await asyncio.sleep(self.lease_poll_s)
                value = await self.l2.get(key)
                if value is not None:
                    self._count(stats, "l2_hits")
                    if self.l1 is not None:
                        await self.l1.set(key, value, ttl_s, tags)
                    return value, False
                lease = await self.l2.acquire_lease(key, self.lease_ttl_s)  # takeover
            if lease.held_elsewhere:
                log.warning(
                    "waited %.1fs for another process to compute %s; computing it here",
                    self.lease_wait_s,
                    key,
                    extra={"event": "cache.lease_timeout", "key": key},
                )
            token = lease.token
        try:
            value = await compute()
            await self.set(key, value, ttl_s, tags, stats)
        finally:
            if token is not None and self.l2 is not None:
                await self.l2.release_lease(key, token)
        return value, True

    async def close(self) -> None:
        """Close both tiers."""
        for store in (self.l1, self.l2):
            if store is not None:
                await store.close()

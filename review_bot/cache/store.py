"""The one async interface every cache store speaks, and the counters they keep."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

__all__ = ["CacheAccess", "CacheStats", "CacheStore", "Compute", "Lease"]

Compute = Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class Lease:
    """The answer to "may I compute this key?".

    ``token`` set: you hold the lease, release it with that token. ``held_elsewhere``: another
    process is computing it; poll for the value. Neither: the store cannot arbitrate (it is
    down, or local only): compute without a lease.
    """

    token: str | None = None
    held_elsewhere: bool = False


@dataclass
class CacheStats:
    """Cache counters of one review (or, on a cache, of the process)."""

    hits: int = 0
    misses: int = 0
    l1_hits: int = 0
    l2_hits: int = 0
    coalesced: int = 0
    lease_waits: int = 0
    stores: int = 0
    errors: int = 0
    corrupt: int = 0
    oversize: int = 0

    def as_review_stats(self) -> dict[str, int]:
        """``cache_hits``/``cache_misses`` plus the detail, as ReviewStats keys."""
        return {f"cache_{k}": v for k, v in asdict(self).items()}


class CacheStore(Protocol):
    """An async key/value store with TTLs, tags and leases; it never raises for I/O failures
    (a broken backend reads as a miss and writes as a no-op)."""

    async def get(self, key: str) -> bytes | None:
        """The value, or None on a miss (or any failure)."""

    async def set(
        self, key: str, value: bytes, ttl_s: float | None, tags: Sequence[str] = ()
    ) -> None:
        """Store ``value`` for ``ttl_s`` seconds (None: no expiry), under ``tags``."""

    async def invalidate_tag(self, tag: str) -> int:
        """Drop every entry stored under ``tag``; returns how many were dropped."""

    async def acquire_lease(self, key: str, ttl_s: float) -> Lease:
        """Try to become the one computing ``key`` for ``ttl_s`` seconds."""

    async def release_lease(self, key: str, token: str) -> None:
        """Give the lease back (only if still ours)."""

    async def close(self) -> None:
        """Release connections and files."""


class CacheAccess(Protocol):
    """What a review's caches (tool outputs, completions) call: ``TieredCache``, or a wrapper
    around it (``review_bot.tracing.cache.TracedCache``)."""

    async def get(self, key: str, stats: CacheStats | None = None) -> bytes | None:
        """The value of ``key``, or None."""

    async def set(
        self,
        key: str,
        value: bytes,
        ttl_s: float | None,
        tags: Sequence[str] = (),
        stats: CacheStats | None = None,
    ) -> None:
        """Store ``value`` under ``key`` (and ``tags``) for ``ttl_s`` seconds."""

    async def get_or_compute(
        self,
        key: str,
        compute: Compute,
        *,
        ttl_s: float | None,
        tags: Sequence[str] = (),
        stats: CacheStats | None = None,
    ) -> bytes:
        """The value of ``key``, computed once (and stored) on a miss."""

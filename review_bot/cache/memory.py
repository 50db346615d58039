"""L1: an in-process LRU bounded in bytes, with TTLs, tags and in-process leases."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from review_bot.cache.store import Lease

__all__ = ["MemoryStore"]


@dataclass
class _Entry:
    value: bytes
    expires_at: float
    tags: tuple[str, ...]


class MemoryStore:
    """Keeps at most ``max_bytes`` of values; the least recently used go first.

    Also the store tests use in place of Redis (same interface, same semantics).
    """

    def __init__(self, max_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._tags: dict[str, set[str]] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self.size_bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> bytes | None:
        """The value if present and fresh; refreshes its LRU position."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry.value

    async def set(
        self, key: str, value: bytes, ttl_s: float | None, tags: Sequence[str] = ()
    ) -> None:
        """Store ``value``; values larger than the whole bound are not kept."""
        self._drop(key)
        if len(value) > self.max_bytes:
            return
        expires = self._clock() + ttl_s if ttl_s is not None else float("inf")
        self._entries[key] = _Entry(value, expires, tuple(tags))
        self.size_bytes += len(value)
        for tag in tags:
            self._tags.setdefault(tag, set()).add(key)
        while self.size_bytes > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries)))

    async def invalidate_tag(self, tag: str) -> int:
        """Drop the entries under ``tag``."""
        keys = self._tags.pop(tag, set())
        for key in keys:
            self._drop(key)
        return len(keys)

    async def acquire_lease(self, key: str, ttl_s: float) -> Lease:
        """An in-process lease (the tiered cache's futures already coalesce in-process)."""
        now = self._clock()
        held = self._leases.get(key)
        if held is not None and held[1] > now:
            return Lease(held_elsewhere=True)
        token = uuid.uuid4().hex
        self._leases[key] = (token, now + ttl_s)
        return Lease(token=token)

    async def release_lease(self, key: str, token: str) -> None:
        """Release if still ours."""
        held = self._leases.get(key)
        if held is not None and held[0] == token:
            del self._leases[key]

    async def close(self) -> None:
        """Forget everything."""
        self._entries.clear()
        self._tags.clear()
        self._leases.clear()
        self.size_bytes = 0

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self.size_bytes -= len(entry.value)
        for tag in entry.tags:
            keys = self._tags.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._tags[tag]

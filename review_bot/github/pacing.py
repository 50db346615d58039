"""A content-creation budget per installation, shared by every worker.

GitHub's secondary limits allow about 80 content-creating requests a minute and 500 an hour
(per user or App installation); past them it answers 403 for minutes. Every POST, PATCH, PUT
and DELETE of ours takes one unit from a fixed-window counter per minute and per hour, kept in
the service's store (Redis when workers share it), before it is sent. When a window is spent
the write waits for the next one, if that is soon enough, or the job is rescheduled
(:class:`~review_bot.github.client.GitHubRateLimited`, with the seconds to wait).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from review_bot.github.client import GitHubRateLimited

__all__ = ["Counter", "MemoryCounter", "WriteBudget"]

Sleep = Callable[[float], Awaitable[None]]


class Counter(Protocol):
    """A shared counter: add one to ``key`` (created with ``ttl_s``), answer the new count."""

    async def incr(self, key: str, ttl_s: float) -> int:
        """Increment ``key``; it expires ``ttl_s`` after it was created."""


class MemoryCounter:
    """:class:`Counter` in process memory (one process; tests)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counts: dict[str, tuple[int, float]] = {}

    async def incr(self, key: str, ttl_s: float) -> int:
        """Increment ``key``; an expired key starts again at one."""
        now = self._clock()
        count, expires = self._counts.get(key, (0, now + ttl_s))
        if expires <= now:
            count, expires = 0, now + ttl_s
        self._counts[key] = (count + 1, expires)
        return count + 1


class WriteBudget:
    """At most ``per_minute`` and ``per_hour`` writes per installation (fixed windows)."""

    def __init__(
        self,
        counter: Counter,
        *,
        per_minute: int,
        per_hour: int,
        max_wait_s: float,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._counter = counter
        self._limits = ((60, per_minute), (3600, per_hour))
        self._max_wait_s = max_wait_s
        self._sleep = sleep
        self._clock = clock
        self.waited_s = 0.0

    async def take(self, installation_id: int | None) -> None:
        """Take one write for ``installation_id``: wait for the next window, or raise
        GitHubRateLimited when that is more than ``max_wait_s`` away."""
        who = "token" if installation_id is None else str(installation_id)
        while True:
            wait = await self._try(who)
            if wait is None:
                return
            if wait > self._max_wait_s:
                raise GitHubRateLimited(
                    f"installation {who}: write budget spent for {wait:.0f}s "
                    f"(limits {self._limits[0][1]}/min, {self._limits[1][1]}/h); retry later",
                    429,
                    wait,
                )
            self.waited_s += wait
            await self._sleep(wait)

    async def _try(self, who: str) -> float | None:
        """None when a unit was taken from every window, else seconds until one frees."""
        now = self._clock()
        for window, limit in self._limits:
            start = int(now // window) * window
            count = await self._counter.incr(f"writes:{who}:{window}:{start}", window + 5)
            if count > limit:
                return start + window - now + 0.01
        return None

"""Bounded concurrency per dependency, with a bounded wait for a slot."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from review_bot.errors import BulkheadFull
from review_bot.resilience.deadline import Deadline

__all__ = ["Bulkhead"]

WaitObserver = Callable[[str, float], None]


class Bulkhead:
    """At most ``size`` calls in flight; a caller waits at most ``max_wait_s`` (and never
    past its deadline) for a slot, then gets BulkheadFull.

    asyncio primitives belong to one event loop, and a registry may outlive several
    (``review_sync`` runs one loop per review), so there is one semaphore per running loop.
    """

    def __init__(self, name: str, size: int, max_wait_s: float) -> None:
        if size < 1:
            raise ValueError(f"bulkhead size {size!r} for {name!r} must be at least 1")
        self.name = name
        self.size = size
        self.max_wait_s = max_wait_s
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._semaphores = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._semaphores.get(loop)
        if sem is None:
            sem = self._semaphores[loop] = asyncio.Semaphore(self.size)
        return sem

    @asynccontextmanager
    async def slot(
        self, deadline: Deadline, on_wait: WaitObserver | None = None
    ) -> AsyncIterator[None]:
        """Hold one slot for the body; ``on_wait(outcome, waited_s)`` hears about queueing."""
        sem = self._semaphore()
        if sem.locked():
            wait_s = deadline.cap(self.max_wait_s)
            started = time.monotonic()
            try:
                async with asyncio.timeout(wait_s):
                    await sem.acquire()
            except TimeoutError:
                if on_wait is not None:
                    on_wait("rejected", time.monotonic() - started)
                raise BulkheadFull(
                    f"{self.name!r}: all {self.size} slots stayed busy for {wait_s:.3f}s; "
                    "raise its max_concurrency or bulkhead_wait_s, or send less work at once"
                ) from None
            if on_wait is not None:
                on_wait("acquired", time.monotonic() - started)
        else:
            await sem.acquire()
        try:
            yield
        finally:
            sem.release()

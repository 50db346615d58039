"""Following a review's events: history first, then live, for any number of viewers.

:class:`RedisHub` reads every followed stream of this process with **one** blocking
``XREAD`` (one Redis connection however many viewers and reviews) and hands each entry to the
viewers of its review. A viewer first registers, then reads the history after its
``Last-Event-ID`` with ``XRANGE``, then takes live entries newer than the last one it saw:
registered before reading, it cannot miss an entry appended in between, and the id
comparison drops the ones it got twice. A new stream joins the ``XREAD`` at once: the hub
wakes its own read by appending to a private wake stream.

A viewer too slow to keep up (its queue full) is dropped; it reconnects with its
``Last-Event-ID`` and catches up from the stream, so nothing is lost, only re-read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from review_bot.errors import ViewerDropped
from review_bot.service.api.events import (
    TERMINAL_KINDS,
    Event,
    MemoryEventLog,
    RedisEventLog,
    decode,
    parse_id,
)

__all__ = ["Hub", "MemoryHub", "RedisHub", "ViewerDropped"]

log = logging.getLogger(__name__)

BLOCK_MS = 5000  # the shared XREAD's block; it is woken early when a stream joins
HEARTBEAT_S = 15.0  # idle viewers get a keep-alive this often (one timer for all of them)
READ_BATCH = 1000
VIEWER_QUEUE = 10_000  # live events buffered per viewer before it is dropped
RETRY_S = 1.0  # after a failed XREAD


class Hub(Protocol):
    """Follows reviews' event logs."""

    def follow(self, review_id: str, after: str) -> AsyncIterator[Event | None]:
        """Events after ``after`` ("0-0": all), live, until the review's terminal event;
        None about every :data:`HEARTBEAT_S` while nothing happens (keep-alives)."""

    async def aclose(self) -> None:
        """Stop following."""


class MemoryHub:
    """Follows a :class:`MemoryEventLog` (one process)."""

    def __init__(self, events: MemoryEventLog) -> None:
        self._events = events

    async def follow(self, review_id: str, after: str) -> AsyncIterator[Event | None]:
        """History then live events, waking on each append."""
        last = after
        while True:
            async with self._events.changed:
                batch = await self._events.read(review_id, last, READ_BATCH)
                if not batch:
                    try:
                        await asyncio.wait_for(self._events.changed.wait(), HEARTBEAT_S)
                    except TimeoutError:
                        idle = True
                    else:
                        idle = False
                    if not idle:
                        continue
            if not batch:
                yield None
                continue
            for event in batch:
                yield event
                if event.kind in TERMINAL_KINDS:
                    return
            last = batch[-1].id

    async def aclose(self) -> None:
        """Nothing to stop."""


@dataclass(eq=False)
class _Viewer:
    queue: asyncio.Queue[Event | None] = field(default_factory=lambda: asyncio.Queue(VIEWER_QUEUE))
    dropped: bool = False


class RedisHub:
    """Follows Redis streams with one shared blocking read per process."""

    def __init__(self, events: RedisEventLog, blocking: aioredis.Redis) -> None:
        self._events = events
        self._blocking = blocking  # a client without a socket timeout shorter than BLOCK_MS
        self._viewers: dict[str, set[_Viewer]] = {}
        self._positions: dict[str, str] = {}
        self._wake_key = f"{events.prefix}api:hub-wake:{uuid.uuid4().hex}"
        self._wake_at = "0-0"
        self._tail: asyncio.Task[None] | None = None
        self._beat = time.monotonic()

    async def follow(self, review_id: str, after: str) -> AsyncIterator[Event | None]:
        """History after ``after``, then live entries, until the terminal event."""
        viewer = _Viewer()
        self._viewers.setdefault(review_id, set()).add(viewer)
        try:
            last = after
            while True:  # history, registered first so nothing falls between
                batch = await self._events.read(review_id, last, READ_BATCH)
                for event in batch:
                    yield event
                    if event.kind in TERMINAL_KINDS:
                        return
                if batch:
                    last = batch[-1].id
                if len(batch) < READ_BATCH:
                    break
            if review_id not in self._positions:
                self._positions[review_id] = await self._latest(review_id, last)
                await self._wake()
            self._ensure_tail()
            seen = parse_id(last) or (0, 0)
            while True:
                if viewer.dropped and viewer.queue.empty():
                    raise ViewerDropped(f"viewer of {review_id} fell behind; reconnect")
                live = await viewer.queue.get()
                if live is None:
                    yield None  # keep-alive
                    continue
                mark = parse_id(live.id) or (0, 0)
                if mark <= seen:
                    continue
                seen = mark
                yield live
                if live.kind in TERMINAL_KINDS:
                    return
        finally:
            self._leave(review_id, viewer)

    def viewers(self) -> int:
        """Viewers following a review now (benchmarks, metrics)."""
        return sum(len(v) for v in self._viewers.values())

    def _leave(self, review_id: str, viewer: _Viewer) -> None:
        group = self._viewers.get(review_id)
        if group is None:
            return
        group.discard(viewer)
        if not group:
            del self._viewers[review_id]
            self._positions.pop(review_id, None)

    async def _latest(self, review_id: str, last: str) -> str:
        """Where the shared read starts on a new stream: its newest entry (or ``last``)."""
        rows = await self._events.client.xrevrange(self._events.key(review_id), "+", "-", count=1)
        newest = decode(rows[0]).id if rows else "0-0"
        return min(newest, last, key=lambda i: parse_id(i) or (0, 0))

    async def _wake(self) -> None:
        if self._tail is None or self._tail.done():
            return  # nothing is blocked: the next read includes the stream
        with contextlib.suppress(RedisError):
            await self._events.client.xadd(self._wake_key, {"w": "1"}, maxlen=10)
            await self._events.client.expire(self._wake_key, 3600)

    def _ensure_tail(self) -> None:
        if self._tail is None or self._tail.done():
            self._tail = asyncio.create_task(self._run(), name="review-events-hub")

    async def _run(self) -> None:
        while self._positions:
            streams: dict[str, str] = {
                self._events.key(rid): pos for rid, pos in self._positions.items()
            }
            streams[self._wake_key] = self._wake_at
            try:
                answer = await self._blocking.xread(streams, count=READ_BATCH, block=BLOCK_MS)  # type: ignore[arg-type]
            except RedisError as exc:
                log.warning("review events: shared read failed (%s); retrying", exc)
                await asyncio.sleep(RETRY_S)
                continue
            for key, entries in cast("list[tuple[Any, list[Any]]]", answer or []):
                self._deliver(key.decode() if isinstance(key, bytes) else str(key), entries)
            if time.monotonic() - self._beat >= HEARTBEAT_S:
                self._beat = time.monotonic()
                for group in self._viewers.values():
                    for viewer in group:
                        with contextlib.suppress(asyncio.QueueFull):
                            viewer.queue.put_nowait(None)

    def _deliver(self, key: str, entries: list[Any]) -> None:
        events = [decode(entry) for entry in entries]
        if key == self._wake_key:
            if events:
                self._wake_at = events[-1].id
            return
        review_id = key.removeprefix(self._events.key(""))
        if review_id not in self._positions or not events:
            return
        self._positions[review_id] = events[-1].id
        for viewer in list(self._viewers.get(review_id, ())):
            for event in events:
                try:
                    viewer.queue.put_nowait(event)
                except asyncio.QueueFull:
                    viewer.dropped = True
                    break

    async def aclose(self) -> None:
        """Stop the shared read."""
        if self._tail is not None:
            self._tail.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tail
        with contextlib.suppress(RedisError):
            await self._events.client.delete(self._wake_key)

"""A review's live events: what the pipeline emits, projected for viewers, kept per review.

The pipeline's sink is synchronous (``emit``); :class:`StreamSink` queues each projected event
and one task appends them, in order, to the review's log. The log is a Redis stream per
review (:class:`RedisEventLog`, shared by every process) or, in a single process without
Redis, :class:`MemoryEventLog`. Event ids are the stream's (``<ms>-<seq>``), which is what SSE's
``Last-Event-ID`` carries back.

Viewers see a projection, not the transcript: model requests (whole prompts) are left out,
model responses are reduced to their usage and cost, and a running cost total is added.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from review_bot.errors import DependencyUnavailable

__all__ = [
    "TERMINAL_KINDS",
    "Event",
    "EventLog",
    "MemoryEventLog",
    "RedisEventLog",
    "StreamSink",
    "event_key",
    "parse_id",
    "project",
]

log = logging.getLogger(__name__)

TERMINAL_KINDS = frozenset({"review.finished", "review.failed"})
# the pipeline's own review.finished/failed are not passed on: the job appends the terminal
# event itself, once the result is stored
MAX_EVENTS = 100_000  # per review: a stream is trimmed (approximately) beyond this
_PASS = frozenset(
    {
        "review.queued",
        "review.running",
        "review.started",
        "tool.started",
        "tool.finished",
        "agents.planned",
        "agent.started",
        "agent.finished",
        "agent.fix",
        "findings",
    }
)


@dataclass(frozen=True)
class Event:
    """One event of a review's log; its encodings are made once, however many viewers."""

    id: str
    kind: str
    data: dict[str, Any]

    @functools.cached_property
    def frame(self) -> str:
        """The event as one JSON object (what a WebSocket frame and SSE's ``data:`` carry)."""
        return json.dumps({"id": self.id, "kind": self.kind, "data": self.data})

    @functools.cached_property
    def sse(self) -> str:
        """The event as one Server-Sent Event."""
        return f"id: {self.id}\nevent: {self.kind}\ndata: {self.frame}\n\n"

    def json(self) -> str:
        """:attr:`frame`."""
        return self.frame


def parse_id(event_id: str) -> tuple[int, int] | None:
    """``<ms>-<seq>`` as a comparable pair, or None when it is not one."""
    ms, sep, seq = event_id.partition("-")
    if not sep or not ms.isdigit() or not seq.isdigit():
        return None
    return int(ms), int(seq)


def event_key(review_id: str) -> str:
    """The stream's key (under the deployment's prefix)."""
    return f"api:events:{review_id}"


class EventLog(Protocol):
    """Append-only events per review."""

    async def append(self, review_id: str, kind: str, data: dict[str, Any]) -> str:
        """Append one event; its id."""

    async def read(self, review_id: str, after: str, count: int) -> list[Event]:
        """Up to ``count`` events after id ``after`` ("0-0": from the start)."""


class MemoryEventLog:
    """Events in this process (the embedded service without Redis; tests)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._events: dict[str, list[Event]] = {}
        self._last = (0, 0)
        self.changed = asyncio.Condition()

    def _next_id(self) -> str:
        ms = int(self._clock() * 1000)
        last_ms, last_seq = self._last
        self._last = (ms, 0) if ms > last_ms else (last_ms, last_seq + 1)
        return f"{self._last[0]}-{self._last[1]}"

    async def append(self, review_id: str, kind: str, data: dict[str, Any]) -> str:
        """Append and wake every reader."""
        event = Event(self._next_id(), kind, data)
        self._events.setdefault(review_id, []).append(event)
        async with self.changed:
            self.changed.notify_all()
        return event.id

    async def read(self, review_id: str, after: str, count: int) -> list[Event]:
        """Events after ``after``."""
        mark = parse_id(after) or (0, 0)
        events = self._events.get(review_id, [])
        return [e for e in events if (parse_id(e.id) or (0, 0)) > mark][:count]


class RedisEventLog:
    """A Redis stream per review (``XADD`` / ``XRANGE``), expiring with the review's record."""

    def __init__(self, client: aioredis.Redis, prefix: str, ttl_s: int) -> None:
        self.client = client
        self.prefix = prefix
        self._ttl_ms = ttl_s * 1000

    def key(self, review_id: str) -> str:
        """The stream's full key."""
        return self.prefix + event_key(review_id)

    async def append(self, review_id: str, kind: str, data: dict[str, Any]) -> str:
        """XADD (trimmed approximately at MAX_EVENTS) and refresh the expiry, one round trip."""
        key = self.key(review_id)
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.xadd(
                    key, {"k": kind, "d": json.dumps(data)}, maxlen=MAX_EVENTS, approximate=True
                )
                pipe.pexpire(key, self._ttl_ms)
                event_id, _ = await pipe.execute()
        except RedisError as exc:
            raise DependencyUnavailable(
                f"redis: cannot append a review event ({exc.__class__.__name__}); check REDIS_URL"
            ) from exc
        return _text(event_id)

    async def read(self, review_id: str, after: str, count: int) -> list[Event]:
        """XRANGE from just after ``after``."""
        try:
            rows = await self.client.xrange(self.key(review_id), f"({after}", "+", count=count)
        except RedisError as exc:
            raise DependencyUnavailable(
                f"redis: cannot read review events ({exc.__class__.__name__}); check REDIS_URL"
            ) from exc
        return [decode(row) for row in rows or []]


def decode(row: Any) -> Event:
    """A stream entry as an :class:`Event`."""
    event_id, fields = row
    values = {_text(k): _text(v) for k, v in fields.items()}
    return Event(_text(event_id), values.get("k", ""), json.loads(values.get("d", "{}")))


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def project(kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """What viewers see of a pipeline event, or None for events they do not get."""
    if kind == "model.response":
        return {
            "agent": data.get("agent"),
            "chunk": data.get("chunk"),
            "usage": data.get("usage"),
            "cost_usd": data.get("cost_usd") or 0.0,
            "cached": bool(data.get("cached")),
        }
    if kind not in _PASS:
        return None
    if kind == "review.started":
        return {"files": data.get("files", []), "change_hash": data.get("change_hash")}
    return dict(data)


class StreamSink:
    """The pipeline's event sink for one API review: projects, queues and appends in order.

    ``emit`` never blocks or raises: an append that fails is logged and the review goes on
    (the result is stored whatever happens to its live view).
    """

    def __init__(self, events: EventLog, review_id: str) -> None:
        self._events = events
        self._id = review_id
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._cost = 0.0
        self._loop = asyncio.get_running_loop()

    def emit(self, kind: str, /, **data: Any) -> None:
        """Queue the projection of one event (model responses become ``model.usage``)."""
        shown = project(kind, data)
        if shown is None:
            return
        if kind == "model.response":
            self._cost += float(shown["cost_usd"] or 0.0)
            shown["cost_usd_total"] = round(self._cost, 6)
            kind = "model.usage"
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is self._loop:
            self._put(kind, shown)
        else:  # emitted from a worker thread: hand it to the review's loop
            self._loop.call_soon_threadsafe(self._put, kind, shown)

    def _put(self, kind: str, data: dict[str, Any]) -> None:
        self._queue.put_nowait((kind, data))
        if self._task is None or self._task.done():
            self._task = self._loop.create_task(self._drain())

    async def _drain(self) -> None:
        while not self._queue.empty():
            kind, data = self._queue.get_nowait()
            try:
                await self._events.append(self._id, kind, data)
            except DependencyUnavailable as exc:
                log.warning("review %s: event %s not appended: %s", self._id, kind, exc)

    async def flush(self) -> None:
        """Wait until every queued event is appended."""
        while self._task is not None and not self._task.done():
            await self._task

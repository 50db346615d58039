"""Progress and audit events: how the pipeline tells the outside world what it is doing.

The pipeline never prints or writes records itself; it calls ``sink.emit(kind, **data)``
and whoever listens (the CLI's progress display, the transcript recorder, metrics) decides
what to do. Data values must be JSON-serialisable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, Protocol, get_args

__all__ = ["EVENT_KINDS", "EventKind", "EventSink", "FanOut", "NullSink", "RecordingSink"]

EventKind = Literal[
    # a review's life; the transcript's first and last records
    "review.started",
    "review.finished",
    "review.failed",
    "error",
    # the tools phase (tool.run is the recorder's record of one analyzer call)
    "tool.started",
    "tool.finished",
    "tool.run",
    "tool.fix",
    # the agents phase
    "agents.planned",
    "agent.started",
    "agent.finished",
    "agent.message",
    "agent.tool",
    "agent.fix",
    # findings as a phase finds them (tools, then each agent chunk), for live viewers
    "findings",
    "model.request",
    "model.response",
    # resilience policies
    "resilience.retry",
    "resilience.rejected",
    "resilience.bulkhead_wait",
    "resilience.breaker",
]
"""Every kind of event a producer may emit. The transcript's record types are these kinds (plus
the writer's own ``signature``), so this list is the replay contract: a new kind is added here,
and the audit view (:mod:`review_bot.audit.view`) decides how to show it."""

EVENT_KINDS: frozenset[str] = frozenset(get_args(EventKind))


class EventSink(Protocol):
    """Receives pipeline events; must not raise for ordinary events."""

    def emit(self, kind: EventKind, /, **data: Any) -> None:
        """Record or display one event."""


class NullSink:
    """Drops every event."""

    def emit(self, kind: EventKind, /, **data: Any) -> None:
        """Ignore the event."""


class FanOut:
    """Sends every event to several sinks, in order."""

    def __init__(self, sinks: Iterable[EventSink]) -> None:
        self._sinks = tuple(sinks)

    def emit(self, kind: EventKind, /, **data: Any) -> None:
        """Forward the event to each sink."""
        for sink in self._sinks:
            sink.emit(kind, **data)


class RecordingSink:
    """Keeps events in memory (tests, eval runs)."""

    def __init__(self) -> None:
        self.events: list[tuple[EventKind, dict[str, Any]]] = []

    def emit(self, kind: EventKind, /, **data: Any) -> None:
        """Append the event."""
        self.events.append((kind, data))

    def kinds(self) -> list[EventKind]:
        """The kinds of the events received, in order."""
        return [kind for kind, _ in self.events]

"""Progress and audit events: how the pipeline tells the outside world what it is doing.

The pipeline never prints or writes records itself; it calls ``sink.emit(kind, **data)``
and whoever listens (the CLI's progress display, the transcript recorder, metrics) decides
what to do. Data values must be JSON-serialisable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

__all__ = ["EventSink", "FanOut", "NullSink", "RecordingSink"]


class EventSink(Protocol):
    """Receives pipeline events; must not raise for ordinary events."""

    def emit(self, kind: str, /, **data: Any) -> None:
        """Record or display one event."""


class NullSink:
    """Drops every event."""

    def emit(self, kind: str, /, **data: Any) -> None:
        """Ignore the event."""


class FanOut:
    """Sends every event to several sinks, in order."""

    def __init__(self, sinks: Iterable[EventSink]) -> None:
        self._sinks = tuple(sinks)

    def emit(self, kind: str, /, **data: Any) -> None:
        """Forward the event to each sink."""
        for sink in self._sinks:
            sink.emit(kind, **data)


class RecordingSink:
    """Keeps events in memory (tests, eval runs)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def emit(self, kind: str, /, **data: Any) -> None:
        """Append the event."""
        self.events.append((kind, data))

    def kinds(self) -> list[str]:
        """The kinds of the events received, in order."""
        return [kind for kind, _ in self.events]

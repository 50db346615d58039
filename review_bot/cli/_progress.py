"""Live progress on stderr while a review runs (tools started/finished, agents per chunk)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.status import Status

from review_bot.events import EventKind


class ProgressSink:
    """An EventSink that shows what is running right now, one status line on stderr."""

    def __init__(self, console: Console | None = None, *, enabled: bool = True) -> None:
        self._console = console or Console(stderr=True)
        self._enabled = enabled and self._console.is_terminal
        self._running: dict[str, str] = {}
        self._done = 0
        self._status: Status | None = None

    def __enter__(self) -> ProgressSink:
        if self._enabled:
            self._status = self._console.status("Starting review…")
            self._status.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def emit(self, kind: EventKind, /, **data: Any) -> None:
        """Update the status line from a pipeline event."""
        if kind == "tool.started":
            self._running[f"tool:{data.get('tool')}"] = (
                f"{data.get('tool')} on {data.get('files', '?')} files"
            )
        elif kind == "tool.finished":
            self._running.pop(f"tool:{data.get('tool')}", None)
            self._done += 1
            if self._enabled:
                self._console.print(
                    f"[dim]✓ {data.get('tool')}: {data.get('status')}"
                    f"{' (' + str(data.get('reason')) + ')' if data.get('reason') else ''}[/dim]"
                )
        elif kind == "agent.started":
            key = f"agent:{data.get('agent')}:{data.get('chunk')}"
            self._running[key] = f"{data.get('agent')} on chunk {data.get('chunk')}"
        elif kind == "agent.finished":
            self._running.pop(f"agent:{data.get('agent')}:{data.get('chunk')}", None)
            self._done += 1
        else:
            return
        if self._status is not None:
            now = ", ".join(self._running.values()) or "merging findings"
            self._status.update(f"Reviewing: {now}  [dim]({self._done} done)[/dim]")

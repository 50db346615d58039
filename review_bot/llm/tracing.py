"""Tracing of a review's agent work: one trace per review, spans per agent turn and tool run,
a generation per model call (with usage and cost).

:class:`NullTracer` is the default and does nothing. :class:`LangfuseTracer` exports to
Langfuse (OpenTelemetry based) and is only built when both Langfuse keys are configured, so a
review without keys constructs no Langfuse client and prints nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Literal, Protocol

__all__ = ["LangfuseTracer", "NullTracer", "Observation", "Tracer", "build_tracer"]

ObservationKind = Literal["span", "agent", "tool", "generation"]


class Observation(Protocol):
    """A running span or generation; ``update`` adds output, usage, cost or metadata."""

    def update(self, **fields: Any) -> None:
        """Attach fields (``output``, ``usage_details``, ``cost_details``, ``metadata``...)."""


class Tracer(Protocol):
    """Opens nested observations; nesting follows the running task's context."""

    def observe(
        self,
        name: str,
        kind: ObservationKind = "span",
        *,
        input: Any = None,
        metadata: Mapping[str, Any] | None = None,
        model: str | None = None,
    ) -> AbstractContextManager[Observation]:
        """A context manager around one observation."""

    def flush(self) -> None:
        """Send what is buffered (end of a review)."""


class _NullObservation:
    def update(self, **fields: Any) -> None:
        """Ignore the fields."""


class NullTracer:
    """Traces nothing."""

    @contextmanager
    def observe(
        self,
        name: str,
        kind: ObservationKind = "span",
        *,
        input: Any = None,
        metadata: Mapping[str, Any] | None = None,
        model: str | None = None,
    ) -> Iterator[Observation]:
        """Yield an observation that ignores updates."""
        yield _NullObservation()

    def flush(self) -> None:
        """Nothing to send."""


class LangfuseTracer:
    """Sends observations to Langfuse.

    Args:
        client: a configured ``langfuse.Langfuse`` (tests pass one with an in-memory
            ``span_exporter``).
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    @contextmanager
    def observe(
        self,
        name: str,
        kind: ObservationKind = "span",
        *,
        input: Any = None,
        metadata: Mapping[str, Any] | None = None,
        model: str | None = None,
    ) -> Iterator[Observation]:
        """Open a Langfuse observation as the current span."""
        extra: dict[str, Any] = {"model": model} if kind == "generation" and model else {}
        with self._client.start_as_current_observation(
            name=name,
            as_type=kind,
            input=input,
            metadata=dict(metadata) if metadata else None,
            **extra,
        ) as observation:
            yield observation

    def flush(self) -> None:
        """Flush the exporter."""
        self._client.flush()


def build_tracer(
    public_key: str | None,
    secret_key: str | None,
    host: str | None = None,
    *,
    span_exporter: Any = None,
) -> Tracer:
    """A Langfuse tracer when both keys are given, else a :class:`NullTracer`.

    Langfuse is imported only here and only with keys: without them nothing is constructed.
    """
    if not (public_key and secret_key):
        return NullTracer()
    from langfuse import Langfuse

    client = Langfuse(
        public_key=public_key,
        secret_key=secret_key,
        host=host,
        tracing_enabled=True,
        span_exporter=span_exporter,
    )
    return LangfuseTracer(client)

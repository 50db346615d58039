"""Trace context across the queue: W3C ``traceparent`` from the webhook, read by the worker."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from review_bot.tracing.setup import Tracing
from review_bot.tracing.sink import SpanSink

__all__ = ["TraceContext", "current_carrier", "span_sink"]


class TraceContext(BaseModel):
    """What a review's span continues and is labelled with.

    ``carrier`` holds W3C trace-context headers (``traceparent``, ``tracestate``) as a job
    carries them through the queue; ``attributes`` go on the review span.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    carrier: dict[str, str] = {}
    attributes: dict[str, str] = {}


def current_carrier() -> dict[str, str]:
    """The active span's context as W3C headers ({} when nothing is being traced)."""
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier


def span_sink(tracing: Tracing, trace: TraceContext | None) -> SpanSink:
    """A SpanSink for one review, continuing ``trace`` when it carries a parent."""
    parent: Any = None
    if trace is not None and trace.carrier:
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        parent = TraceContextTextMapPropagator().extract(trace.carrier)
    attributes = dict(trace.attributes) if trace is not None else {}
    return SpanSink(tracing.tracer, parent=parent, attributes=attributes)

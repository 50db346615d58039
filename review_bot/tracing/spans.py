"""Spans around the service's own work: HTTP requests, queue hand-offs, cache lookups.

The service package never imports OpenTelemetry; it calls these helpers, which do nothing
(and cost a branch) when tracing is off. Each helper makes its span the *current* one for
the block, so spans started inside it (the webhook's enqueue inside its request, the
review inside the worker's dequeue) become its children without being passed around.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from review_bot.tracing.setup import Tracing

if TYPE_CHECKING:
    from opentelemetry.trace import Span

__all__ = ["HttpSpan", "consumer_span", "http_span", "producer_span"]

_PROPAGATED = (b"traceparent", b"tracestate")


class HttpSpan:
    """What the HTTP middleware may say about its request's span (nothing when off)."""

    def __init__(self, span: Span | None = None, method: str = "") -> None:
        self._span = span
        self._method = method

    @property
    def trace_id(self) -> str | None:
        """The request's trace id as 32 hex digits (None when not traced)."""
        if self._span is None:
            return None
        context = self._span.get_span_context()
        return f"{context.trace_id:032x}" if context.is_valid else None

    def finish(self, status: int | None, route: str | None, attributes: Mapping[str, Any]) -> None:
        """Name the span by its route, record the status (5xx and none at all are errors)."""
        span = self._span
        if span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        if route:
            span.update_name(f"{self._method} {route}")
            span.set_attribute("http.route", route)
        for key, value in attributes.items():
            if value is not None:
                span.set_attribute(key, value)
        if status is None:
            span.set_status(Status(StatusCode.ERROR, "no response was sent"))
            return
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))


@contextmanager
def http_span(
    tracing: Tracing | None, method: str, path: str, headers: Iterable[tuple[bytes, bytes]]
) -> Iterator[HttpSpan]:
    """A server span for one request, continuing a caller's ``traceparent`` header.

    It is named by the method alone until :meth:`HttpSpan.finish` knows the route (a raw
    path would make a span name per review id).
    """
    if tracing is None:
        yield HttpSpan()
        return
    from opentelemetry.trace import SpanKind
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in headers
        if name.lower() in _PROPAGATED
    }
    parent = TraceContextTextMapPropagator().extract(carrier) if carrier else None
    attributes = {"http.request.method": method, "url.path": path}
    with tracing.tracer.start_as_current_span(
        method,
        context=parent,
        kind=SpanKind.SERVER,
        attributes=attributes,
        record_exception=False,
    ) as span:
        yield HttpSpan(span, method)


@contextmanager
def producer_span(
    tracing: Tracing | None, name: str, attributes: Mapping[str, Any]
) -> Iterator[dict[str, str]]:
    """A span for handing work to a queue; yields the W3C headers the message should carry."""
    if tracing is None:
        yield {}
        return
    from opentelemetry.trace import SpanKind
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    with tracing.tracer.start_as_current_span(
        name, kind=SpanKind.PRODUCER, attributes=_clean(attributes)
    ):
        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier)
        yield carrier


@contextmanager
def consumer_span(
    tracing: Tracing | None, name: str, carrier: Mapping[str, str], attributes: Mapping[str, Any]
) -> Iterator[None]:
    """A span for taking work off a queue, continuing the trace the message carries."""
    if tracing is None:
        yield
        return
    from opentelemetry.trace import SpanKind
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    parent = TraceContextTextMapPropagator().extract(dict(carrier)) if carrier else None
    with tracing.tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.CONSUMER, attributes=_clean(attributes)
    ):
        yield


def _clean(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | bool | int | float) else str(v)
        for k, v in attributes.items()
        if v is not None
    }

"""OpenTelemetry traces of reviews, built from the pipeline's events.

The pipeline already announces every step as an event (``review.started``, ``tool.started``,
``agent.started``, ``model.request`` ...); :class:`SpanSink` turns those into spans, so no
package below the composition root knows about OpenTelemetry. Only this package imports
``opentelemetry``, and only when tracing is configured.
"""

from __future__ import annotations

from review_bot.tracing.propagation import TraceContext, current_carrier, span_sink
from review_bot.tracing.setup import Tracing, build_tracing
from review_bot.tracing.sink import SpanSink
from review_bot.tracing.spans import HttpSpan, consumer_span, http_span, producer_span

__all__ = [
    "HttpSpan",
    "SpanSink",
    "TraceContext",
    "Tracing",
    "build_tracing",
    "consumer_span",
    "current_carrier",
    "http_span",
    "producer_span",
    "span_sink",
]

"""The process's tracer: an OTLP/HTTP exporter behind a batch processor, or none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from review_bot.config.tracing import TracingConfig

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

__all__ = ["Tracing", "build_tracing"]

INSTRUMENTATION = "review_bot"


@dataclass
class Tracing:
    """A tracer and the provider that owns its exporter (flushed and shut down on close)."""

    provider: TracerProvider
    tracer: Tracer
    closed: bool = False

    def close(self) -> None:
        """Export what is buffered, then stop the exporter (once: later calls do nothing)."""
        if self.closed:
            return
        self.closed = True
        self.provider.force_flush()
        self.provider.shutdown()


def build_tracing(
    config: TracingConfig, *, exporter: SpanExporter | None = None
) -> Tracing | None:
    """The tracer ``config`` asks for; None when tracing is off and no exporter is given.

    ``exporter`` replaces the OTLP one (tests pass an in-memory exporter); it is wrapped in a
    simple (synchronous) processor so tests see spans as soon as they end.
    """
    if exporter is None and not config.enabled:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": config.service_name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=config.traces_endpoint, timeout=5))
        )
    return Tracing(provider, provider.get_tracer(INSTRUMENTATION))

"""Review traces: spans built from the pipeline's events, exported over OTLP/HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from review_bot.change import from_files
from review_bot.compose import Runtime
from review_bot.config.settings import load_settings
from review_bot.config.tracing import TracingConfig
from review_bot.errors import ConfigError
from review_bot.tracing import SpanSink, TraceContext, build_tracing

PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{PARENT_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def _events(sink: SpanSink) -> None:
    sink.emit("review.started", change_hash="abc", files=["a.py", "b.go"], config={})
    sink.emit("tool.started", tool="ruff", files=1)
    sink.emit("tool.finished", tool="ruff", files=1, status="ok", findings=2)
    sink.emit("tool.started", tool="semgrep", files=2)
    sink.emit("tool.finished", tool="semgrep", files=2, status="failed", reason="timed out")
    sink.emit("agent.started", agent="reviewer", chunk="1")
    sink.emit("model.request", agent="reviewer", chunk="1", seq=1, model="m")
    sink.emit("agent.tool", agent="reviewer", tool="read_file_lines", answer_chars=120)
    usage = {"prompt_tokens": 100, "completion_tokens": 20}
    sink.emit("model.response", agent="reviewer", chunk="1", seq=1, model="m", usage=usage,
              finish_reason="stop")  # fmt: skip
    sink.emit("agent.finished", agent="reviewer", chunk="1", status="ok")
    sink.emit("resilience.retry", dependency="llm:x:m", attempt=1)
    sink.emit("review.finished", review={"mode": "agents", "findings": [{}, {}], "partial": True,
                                         "failures": [{"component": "tool:semgrep"}]})  # fmt: skip


def test_events_become_a_span_tree(exporter: InMemorySpanExporter) -> None:
    tracing = build_tracing(TracingConfig(), exporter=exporter)
    assert tracing is not None
    _events(SpanSink(tracing.tracer, attributes={"review.id": "r-1"}))
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"review", "tool ruff", "tool semgrep", "agent reviewer", "model m"}
    review = spans["review"]
    assert review.attributes["review.id"] == "r-1"
    assert review.attributes["review.findings"] == 2
    assert review.status.status_code is StatusCode.ERROR  # partial
    assert [e.name for e in review.events] == ["resilience.retry"]
    for name in ("tool ruff", "tool semgrep", "agent reviewer"):
        assert spans[name].parent.span_id == review.context.span_id
    assert spans["model m"].parent.span_id == spans["agent reviewer"].context.span_id
    assert spans["model m"].attributes["gen_ai.usage.input_tokens"] == 100
    assert spans["tool semgrep"].status.status_code is StatusCode.ERROR
    assert spans["tool semgrep"].status.description == "timed out"
    assert spans["tool ruff"].status.status_code is StatusCode.UNSET
    assert [e.name for e in spans["agent reviewer"].events] == ["agent.tool"]
    assert len({s.context.trace_id for s in spans.values()}) == 1


def test_spans_left_open_end_with_the_review(exporter: InMemorySpanExporter) -> None:
    tracing = build_tracing(TracingConfig(), exporter=exporter)
    assert tracing is not None
    sink = SpanSink(tracing.tracer)
    sink.emit("review.started", change_hash="abc", files=[])
    sink.emit("tool.started", tool="ruff", files=1)
    sink.emit("review.failed", error="InputError: bad diff")
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert spans["tool ruff"].status.status_code is StatusCode.ERROR
    assert spans["review"].status.description == "InputError: bad diff"


def test_off_unless_configured() -> None:
    assert not TracingConfig.from_env({}).enabled
    assert build_tracing(TracingConfig.from_env({})) is None
    config = TracingConfig.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"})
    assert config.traces_endpoint == "http://c:4318/v1/traces"
    assert not TracingConfig.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                                       "OTEL_SDK_DISABLED": "true"}).enabled  # fmt: skip


def test_a_bad_endpoint_is_named() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"})
    assert "'collector:4318/v1/traces'" in str(err.value)


async def test_a_review_is_exported_over_otlp_http(
    receiver: tuple[str, list[tuple[str, bytes]]], tmp_path: Path
) -> None:
    url, got = receiver
    config = tmp_path / "review-bot.toml"
    config.write_text('[review.tools]\nenabled = ["ruff"]\n')
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": url,
        "OTEL_SERVICE_NAME": "review-bot-test",
        "REVIEW_BOT_CACHE_DIR": str(tmp_path / "cache"),
        "REVIEW_BOT_TRANSCRIPTS": "off",
    }
    runtime = Runtime.from_settings(load_settings(config, env))
    change = from_files({}, {"app.py": "import os\n\n\ndef f():\n    return undefined_name\n"})
    trace = TraceContext(carrier={"traceparent": TRACEPARENT},
                         attributes={"github.delivery_id": "d-42"})  # fmt: skip
    try:
        review = await runtime.review(change, trace=trace)
    finally:
        await runtime.aclose()  # flushes the batch processor
    assert review.findings
    assert got, "nothing reached the OTLP receiver"
    spans = []
    for path, body in got:
        assert path == "/v1/traces"
        request = ExportTraceServiceRequest.FromString(body)
        for resource in request.resource_spans:
            names = {a.key: a.value.string_value for a in resource.resource.attributes}
            assert names["service.name"] == "review-bot-test"
            spans += [s for scope in resource.scope_spans for s in scope.spans]
    by_name = {s.name: s for s in spans}
    assert {"review", "tool ruff"} <= set(by_name)
    assert by_name["review"].trace_id.hex() == PARENT_TRACE  # continues the webhook's trace
    attrs = {a.key: a.value for a in by_name["review"].attributes}
    assert attrs["github.delivery_id"].string_value == "d-42"

"""The model-call door: redaction, events, usage; Langfuse tracing only with keys."""

from __future__ import annotations

from autogen_core.models import SystemMessage, UserMessage
from autogen_ext.models.replay import ReplayChatCompletionClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from review_bot.agents.client import ReviewModelClient
from review_bot.events import RecordingSink
from review_bot.llm.budget import UsageLedger
from review_bot.llm.tracing import LangfuseTracer, NullTracer, build_tracer
from review_bot.redaction import Redactor

SECRET = "AKIAIOSFODNN7EXAMPLE"


async def test_requests_are_redacted_and_recorded() -> None:
    inner = ReplayChatCompletionClient(["fine"])
    inner.set_cached_bool_value(False)
    events = RecordingSink()
    ledger = UsageLedger(token_budget=10_000, turn_cap=5, prompt_price_per_mtok=1.0)
    client = ReviewModelClient(
        inner,
        agent="reviewer",
        model="fake",
        redact=Redactor().redact,
        events=events,
        ledger=ledger,
        labels={"chunk": "1/1"},
    )
    await client.create(
        [SystemMessage(content="sys"), UserMessage(content=f"key = '{SECRET}'", source="user")]
    )
    sent = inner.create_calls[0]["messages"][1].content
    assert SECRET not in sent
    assert "[REDACTED:" in sent
    kinds = events.kinds()
    assert kinds == ["model.request", "model.response"]
    assert SECRET not in repr(events.events)
    assert events.events[1][1]["content"] == "fine"
    assert ledger.stats()["llm_calls"] == 1


def test_no_keys_no_langfuse() -> None:
    assert isinstance(build_tracer(None, None), NullTracer)
    assert isinstance(build_tracer("pk", None), NullTracer)


async def test_langfuse_spans_and_generations() -> None:
    exporter = InMemorySpanExporter()
    tracer = build_tracer("pk-lf-test", "sk-lf-test", "http://127.0.0.1:9", span_exporter=exporter)
    assert isinstance(tracer, LangfuseTracer)
    inner = ReplayChatCompletionClient(["fine"])
    ledger = UsageLedger(token_budget=10_000, turn_cap=5)
    client = ReviewModelClient(
        inner,
        agent="security",
        model="fake",
        redact=str,
        events=RecordingSink(),
        ledger=ledger,
        tracer=tracer,
    )
    with tracer.observe("review", "agent"), tracer.observe("security chunk 1/1", "agent"):
        await client.create([UserMessage(content="hi", source="user")])
    tracer.flush()
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert {"review", "security chunk 1/1", "security model call"} <= set(spans)
    generation = spans["security model call"]
    assert generation.attributes is not None
    assert generation.attributes.get("langfuse.observation.type") == "generation"
    assert generation.parent is not None
    assert generation.parent.span_id == spans["security chunk 1/1"].context.span_id

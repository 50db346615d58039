"""One trace from the webhook request to the worker's review: request, enqueue, dequeue,
review, tools and cache spans, carried through the embedded queue and the Celery message."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import SecretStr

from review_bot.config.service import ServiceConfig
from review_bot.config.settings import load_settings
from review_bot.config.tracing import TracingConfig
from review_bot.service.celery_app import make_celery
from review_bot.service.jobs import ReviewJob
from review_bot.service.observe import TracedQueue, reviewing, traced_accept
from review_bot.service.queue import CeleryQueue
from review_bot.service.server import build_app
from review_bot.tracing import Tracing, build_tracing
from tests.fakes.github_server import BOT_LOGIN, FakeGitHub, serve_fake_github
from tests.service.helpers import BASE_TREE, HEAD_TREE, REPO, lifespan, pr_payload, sha, signed
from tests.tracing.conftest import exported_spans

REDIS_URL = "redis://127.0.0.1:6379/0"


class SignallingExporter(InMemorySpanExporter):
    """Keeps spans and sets ``done`` once a span of the awaited name has been exported."""

    def __init__(self, awaited: str) -> None:
        super().__init__()
        self.awaited = awaited
        self.done = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = super().export(spans)
        if any(s.name == self.awaited for s in spans):
            self.done.set()
        return result


@pytest.fixture
def github() -> Iterator[str]:
    gh = FakeGitHub()
    gh.add_commit(sha("base"), BASE_TREE)
    gh.add_commit(sha("head1"), HEAD_TREE)
    gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
    with serve_fake_github(gh) as url:
        yield url


def _service(url: str) -> ServiceConfig:
    return ServiceConfig(
        webhook_secrets=(SecretStr("s3cret-for-tests"),),
        github_token=SecretStr("test-token"),
        github_api_url=url,
        github_bot_login=BOT_LOGIN,
    )


def _settings(tmp_path: Path) -> Any:
    config = tmp_path / "review-bot.toml"
    config.write_text('[review.tools]\nenabled = ["ruff"]\n')
    env = {"REVIEW_BOT_CACHE_DIR": str(tmp_path / "cache"), "REVIEW_BOT_TRANSCRIPTS": "off"}
    return load_settings(config, env)


async def test_one_trace_runs_from_the_webhook_request_to_the_review(
    github: str, tmp_path: Path
) -> None:
    exporter = SignallingExporter("review")
    tracing = build_tracing(TracingConfig(), exporter=exporter)
    assert tracing is not None
    app = build_app(_service(github), _settings(tmp_path), tracing=tracing)
    gc.unfreeze()
    body, headers = signed(pr_payload("opened", sha("head1")), "pull_request", "d-trace-1")
    transport = httpx.ASGITransport(app=app)
    try:
        async with lifespan(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            answer = await c.post("/webhooks/github", content=body, headers=headers)
            assert answer.status_code == 202
            assert await asyncio.to_thread(exporter.done.wait, 120), "no review span"
    finally:
        gc.unfreeze()
    spans = {s.name: s for s in exporter.get_finished_spans()}
    request = spans["POST /webhooks/github"]
    enqueue, dequeue, review = spans["queue enqueue"], spans["queue dequeue"], spans["review"]
    assert request.kind is SpanKind.SERVER
    assert request.attributes["http.response.status_code"] == 202
    assert request.attributes["github.delivery_id"] == "d-trace-1"
    assert (enqueue.kind, dequeue.kind) == (SpanKind.PRODUCER, SpanKind.CONSUMER)
    assert enqueue.parent.span_id == request.context.span_id
    assert dequeue.parent.span_id == enqueue.context.span_id
    assert review.parent.span_id == dequeue.context.span_id
    assert spans["tool ruff"].parent.span_id == review.context.span_id
    for span in (enqueue, dequeue, review):
        assert span.attributes["review.id"] == "d-trace-1"
    caches = [s for s in exporter.get_finished_spans() if s.name.startswith("cache ")]
    lookups = [s for s in caches if s.name == "cache get"]
    assert lookups
    assert all(s.attributes["cache.kind"] == "tool" for s in lookups)
    hits = [s.attributes["cache.hit"] for s in lookups]
    assert hits[:2] == [False, False]  # first run: app.py and util.py are computed
    assert any(s.name == "cache set" for s in caches)
    for span in caches:
        assert span.parent.span_id == review.context.span_id
        assert span.attributes["review.id"] == "d-trace-1"
    traces = {s.context.trace_id for s in exporter.get_finished_spans()}
    assert traces == {request.context.trace_id}


async def test_a_second_review_of_the_same_files_hits_the_cache(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    tracing = build_tracing(TracingConfig(), exporter=exporter)
    assert tracing is not None
    from review_bot.change import from_files
    from review_bot.compose import Runtime
    from review_bot.tracing import TraceContext

    runtime = Runtime.from_settings(_settings(tmp_path), tracing=tracing)
    change = from_files({}, {"app.py": "import os\n"})
    try:
        await runtime.review(change, trace=TraceContext(attributes={"review.id": "r-1"}))
        exporter.clear()
        await runtime.review(change, trace=TraceContext(attributes={"review.id": "r-2"}))
    finally:
        await runtime.aclose()
    lookups = [s for s in exporter.get_finished_spans() if s.name == "cache get"]
    assert lookups
    assert all(s.attributes["cache.hit"] is True for s in lookups)
    assert all(s.attributes["review.id"] == "r-2" for s in lookups)
    assert not [s for s in exporter.get_finished_spans() if s.name == "cache set"]


async def test_the_celery_message_carries_the_enqueue_span_to_the_worker(
    github: str,
) -> None:
    """The webhook's accept puts the trace on the queued message; the worker's job (read
    back off the Redis list, as Celery delivers it) runs in a span continuing it."""
    exporter = InMemorySpanExporter()
    tracing = build_tracing(TracingConfig(), exporter=exporter)
    assert tracing is not None
    config = _service(github).model_copy(
        update={"redis_url": REDIS_URL, "redis_prefix": "test-trace-msg:", "queue": "celery"}
    )
    client = aioredis.Redis.from_url(REDIS_URL)
    queue = CeleryQueue(make_celery(config), client, queue="reviews", key_prefix="test-trace-msg:")
    job = ReviewJob(delivery_id="d-celery", trigger="push", repo=REPO, number=7,
                    action="opened", head_sha=sha("head1"))  # fmt: skip
    broker_list = f"test-trace-msg:reviews:{job.priority}"  # kombu's list of that priority
    try:
        await client.delete(broker_list, "test-trace-msg:delivery:d-celery")
        accept = traced_accept(queue.accept, tracing, "celery")
        assert await accept(job, "delivery:d-celery", None, 60.0) == "queued"
        raw = await client.rpop(broker_list)
    finally:
        await client.delete("test-trace-msg:delivery:d-celery", broker_list)
        await client.aclose()
    assert raw is not None
    envelope = json.loads(raw)
    args, _, _ = json.loads(base64.b64decode(envelope["body"]))
    delivered = ReviewJob.model_validate(args[0])
    (enqueue,) = exporter.get_finished_spans()
    assert delivered.trace["traceparent"].split("-")[1] == f"{enqueue.context.trace_id:032x}"
    with reviewing(delivered, tracing):
        pass
    dequeue = exporter.get_finished_spans()[-1]
    assert dequeue.name == "queue dequeue"
    assert dequeue.parent.span_id == enqueue.context.span_id
    assert dequeue.attributes["messaging.operation"] == "process"


class _ListQueue:
    def __init__(self) -> None:
        self.jobs: list[ReviewJob] = []

    async def enqueue(self, job: ReviewJob) -> None:
        self.jobs.append(job)

    async def depth(self) -> int:
        return len(self.jobs)

    async def ready(self) -> bool:
        return True


async def test_without_tracing_jobs_go_unchanged() -> None:
    inner = _ListQueue()
    job = ReviewJob(delivery_id="d-off", trigger="push", repo=REPO, number=7,
                    action="opened", head_sha=sha("head1"))  # fmt: skip
    await TracedQueue(inner, None, "embedded").enqueue(job)
    assert inner.jobs == [job]
    assert inner.jobs[0].trace == {}


async def test_the_service_exports_over_otlp_http(
    receiver: tuple[str, list[tuple[str, bytes]]], github: str, tmp_path: Path
) -> None:
    """The real exporter (batch processor, OTLP/HTTP protobuf) against a loopback receiver."""
    url, got = receiver
    tracing: Tracing | None = build_tracing(TracingConfig(traces_endpoint=f"{url}/v1/traces"))
    assert tracing is not None
    app = build_app(_service(github), _settings(tmp_path), tracing=tracing)
    gc.unfreeze()
    transport = httpx.ASGITransport(app=app)
    try:
        async with lifespan(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            answer = await c.get("/health?token=abc", headers={"traceparent": traceparent})
            assert answer.status_code == 200
    finally:
        gc.unfreeze()
    tracing.close()  # the app's shutdown closed it already: flushes once, then a no-op
    spans = [s for s in exported_spans(got) if s.name == "GET /health"]  # type: ignore[attr-defined]
    assert len(spans) == 1
    assert spans[0].trace_id.hex() == "0af7651916cd43dd8448eb211c80319c"  # the caller's trace


async def test_completion_lookups_are_spans_with_hit_or_miss() -> None:
    from review_bot.cache.memory import MemoryStore
    from review_bot.cache.tiered import TieredCache
    from review_bot.tracing.cache import TracedCache

    exporter = InMemorySpanExporter()
    tracing = build_tracing(TracingConfig(), exporter=exporter)
    assert tracing is not None
    cache = TracedCache(TieredCache(MemoryStore(1 << 20), None), tracing.tracer, lambda: None,
                        {"review.id": "r-9"})  # fmt: skip
    computed: list[str] = []

    async def compute() -> bytes:
        computed.append("model called")
        return b"answer"

    for _ in range(2):
        assert await cache.get_or_compute("completion:abc", compute, ttl_s=60) == b"answer"
    assert computed == ["model called"]
    first, second = exporter.get_finished_spans()
    assert (first.attributes["cache.hit"], second.attributes["cache.hit"]) == (False, True)
    assert {s.attributes["cache.kind"] for s in (first, second)} == {"completion"}
    assert {s.attributes["review.id"] for s in (first, second)} == {"r-9"}

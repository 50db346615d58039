"""``serve`` and ``worker`` as separate processes on the Celery queue, exporting over
OTLP/HTTP to a loopback receiver: the worker's review continues the trace of the webhook
request that queued it, and both processes' JSON log lines carry that trace id.
Needs Redis on 127.0.0.1:6379."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github_server import FakeGitHub, serve_fake_github
from tests.service.helpers import BASE_TREE, HEAD_TREE, REPO, pr_payload, sha
from tests.service.stack import Stack, deliver, ready, wait_for
from tests.tracing.conftest import exported_spans

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(
    tmp_path: Path, receiver: tuple[str, list[tuple[str, bytes]]]
) -> Iterator[tuple[Stack, list[tuple[str, bytes]]]]:
    url, got = receiver
    gh = FakeGitHub()
    gh.add_commit(sha("base"), BASE_TREE)
    gh.add_commit(sha("head1"), HEAD_TREE)
    gh.open_pr(REPO, 31, base=sha("base"), head=sha("head1"))
    with serve_fake_github(gh) as api:
        config = tmp_path / "review-bot.toml"
        s = Stack(gh, api, tmp_path, reviewer=None, config=config, env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": url,
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # export within 0.1 s, not 5 s
            "REVIEW_BOT_LOG_FORMAT": "json",
            "REVIEW_BOT_CACHE_DIR": str(tmp_path / "cache"),
            "REVIEW_BOT_TRANSCRIPTS": "off",
            "REVIEW_BOT_VISIBILITY_TIMEOUT_S": "120",
            "REVIEW_BOT_REVIEW_TIMEOUT_S": "60",
        })  # fmt: skip
        config.write_text(
            '[review.tools]\nenabled = ["ruff"]\n'
            f'[cache]\nnamespace = "{s.prefix}cache"\n'
            f'[resilience]\nbreaker_namespace = "{s.prefix}breaker"\n'
        )
        try:
            s.start("serve", "--port", str(s.port))
            s.start("worker", "--concurrency", "1", "--loglevel", "INFO")
            wait_for(lambda: ready(s.url), what="review-bot serve /ready")
            yield s, got
        finally:
            s.stop()


def _spans(got: list[tuple[str, bytes]]) -> dict[str, Any]:
    return {s.name: s for s in exported_spans(got)}  # type: ignore[attr-defined]


def _json_lines(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def test_the_worker_continues_the_webhook_trace(
    stack: tuple[Stack, list[tuple[str, bytes]]],
) -> None:
    s, got = stack
    assert deliver(s, pr_payload("opened", sha("head1"), number=31), "pull_request", "x-1") == [202]
    wait_for(lambda: s.reviews_for(31), timeout=120, what="the posted review")
    # the job's dequeue span ends last, once the review is posted
    wait_for(lambda: "queue dequeue" in _spans(got), timeout=60, what="the dequeue span")
    spans = _spans(got)
    request, enqueue = spans["POST /webhooks/github"], spans["queue enqueue"]
    dequeue, review = spans["queue dequeue"], spans["review"]
    assert enqueue.parent_span_id == request.span_id
    assert dequeue.parent_span_id == enqueue.span_id
    assert review.parent_span_id == dequeue.span_id
    assert len({request.trace_id, enqueue.trace_id, dequeue.trace_id, review.trace_id}) == 1
    attrs = {a.key: a.value.string_value for a in review.attributes}
    assert attrs["review.id"] == "x-1"
    trace_id = request.trace_id.hex()
    wait_for(lambda: any(line.get("delivery_id") == "x-1" and line.get("trace_id") == trace_id
                         for line in _json_lines(s.tmp / "worker-1.log")),
             timeout=30, what="the worker's job line with the trace id")  # fmt: skip
    (access,) = [line for line in _json_lines(s.tmp / "serve-0.log")
                 if line["logger"] == "review_bot.access"
                 and line.get("delivery_id") == "x-1"]  # fmt: skip
    assert (access["status"], access["trace_id"]) == (202, trace_id)

"""The webhook endpoint: signatures, size limits, events, dedup; fuzzed for 500s."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from review_bot.config.service import ServiceConfig
from review_bot.errors import DependencyUnavailable
from review_bot.service.app import create_app
from review_bot.service.jobs import ReviewJob
from review_bot.service.metrics import ServiceMetrics
from review_bot.service.signature import sign, verify_signature
from review_bot.service.store import MemoryStore
from tests.service.helpers import SECRET, pr_payload, sha, signed


class RecordingQueue:
    """A JobQueue that keeps what it is given (and can be told to fail)."""

    def __init__(self) -> None:
        self.jobs: list[ReviewJob] = []
        self.fail = False

    async def enqueue(self, job: ReviewJob) -> None:
        if self.fail:
            raise DependencyUnavailable("broker down")
        await asyncio.sleep(0)
        self.jobs.append(job)

    async def depth(self) -> int:
        return len(self.jobs)

    async def ready(self) -> bool:
        return not self.fail


def make(
    secrets: tuple[bytes, ...] = (SECRET,), **kw: object
) -> tuple[httpx.AsyncClient, RecordingQueue, ServiceMetrics]:
    queue = RecordingQueue()
    metrics = ServiceMetrics()
    config = ServiceConfig(webhook_secrets=tuple(SecretStr(s.decode()) for s in secrets), **kw)  # type: ignore[arg-type]
    app = create_app(config, queue=queue, store=MemoryStore(), metrics=metrics)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    return client, queue, metrics


@pytest.fixture
async def service() -> AsyncIterator[tuple[httpx.AsyncClient, RecordingQueue, ServiceMetrics]]:
    client, queue, metrics = make()
    async with client:
        yield client, queue, metrics


async def post(client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/webhooks/github", content=body, headers=headers)


async def test_signed_pull_request_is_queued_with_202(service) -> None:
    client, queue, _ = service
    body, headers = signed(pr_payload("opened", sha("h")), "pull_request", "d-1")
    response = await post(client, body, headers)
    assert response.status_code == 202
    assert [(j.repo, j.number, j.head_sha, j.installation_id) for j in queue.jobs] == [
        ("acme/widgets", 7, sha("h"), 42)
    ]


@pytest.mark.parametrize(
    ("signature", "status"),
    [
        (None, 401),
        ("", 401),
        ("sha256=" + "0" * 64, 401),  # well formed, wrong
        ("sha1=" + "0" * 40, 400),
        ("sha256=" + "z" * 64, 400),
        ("sha256=" + "a" * 63, 400),
        ("sha256=" + "é" * 64, 400),
    ],
)
async def test_bad_signatures_are_refused_and_nothing_is_queued(service, signature, status) -> None:
    client, queue, _ = service
    body, headers = signed(pr_payload("opened", sha("h")), "pull_request", "d-2")
    del headers["x-hub-signature-256"]
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    if signature is not None:
        raw.append((b"x-hub-signature-256", signature.encode("utf-8")))
    response = await client.post("/webhooks/github", content=body, headers=raw)
    assert response.status_code == status
    assert queue.jobs == []


async def test_old_and_new_secrets_both_work_during_rotation() -> None:
    client, queue, _ = make(secrets=(b"old", b"new"))
    async with client:
        for i, secret in enumerate((b"old", b"new", b"other")):
            body, headers = signed(
                pr_payload("opened", sha(f"h{i}")), "pull_request", f"r-{i}", secret
            )
            response = await post(client, body, headers)
            assert response.status_code == (401 if secret == b"other" else 202)
    assert len(queue.jobs) == 2


async def test_malformed_json_with_valid_signature_is_400(service) -> None:
    client, queue, _ = service
    body = b'{"action": "opened", '
    headers = {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": "d-3",
        "x-hub-signature-256": sign(body, SECRET),
    }
    assert (await post(client, body, headers)).status_code == 400
    assert queue.jobs == []


async def test_wrong_content_type_is_415(service) -> None:
    client, _, _ = service
    body, headers = signed(pr_payload("opened", sha("h")), "pull_request", "d-4")
    headers["content-type"] = "application/x-www-form-urlencoded"
    assert (await post(client, body, headers)).status_code == 415


async def test_declared_oversize_body_is_413() -> None:
    client, queue, _ = make(max_body_bytes=1000)
    async with client:
        body, headers = signed(
            pr_payload("opened", sha("h"), pad="x" * 2000), "pull_request", "d-5"
        )
        assert (await post(client, body, headers)).status_code == 413
    assert queue.jobs == []


async def test_streamed_oversize_body_stops_at_the_limit() -> None:
    client, _, _ = make(max_body_bytes=1000)
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(1000):  # 1 MB offered, no content-length
            sent += 1024
            yield b"x" * 1024

    async with client:
        response = await client.post(
            "/webhooks/github",
            content=chunks(),
            headers={
                "content-type": "application/json",
                "x-github-event": "push",
                "x-github-delivery": "d-6",
            },
        )
    assert response.status_code == 413


async def test_unknown_events_and_actions_are_acknowledged_without_a_job(service) -> None:
    client, queue, _ = service
    for i, (event, payload) in enumerate(
        [
            ("push", {"ref": "x"}),
            ("pull_request", pr_payload("closed", sha("h"))),
            ("ping", {"zen": "hi"}),
        ]
    ):
        body, headers = signed(payload, event, f"u-{i}")
        assert (await post(client, body, headers)).status_code == 200
    assert queue.jobs == []


async def test_drafts_are_skipped_unless_configured() -> None:
    payload = pr_payload("opened", sha("h"))
    payload["pull_request"]["draft"] = True
    for drafts, expected in ((False, 0), (True, 1)):
        client, queue, _ = make(review_drafts=drafts)
        async with client:
            await post(client, *signed(payload, "pull_request", "dr"))
        assert len(queue.jobs) == expected


async def test_review_command_is_queued_ahead_of_pushes(service) -> None:
    client, queue, _ = service
    comment = {
        "action": "created",
        "issue": {"number": 7, "pull_request": {"url": "x"}},
        "comment": {"body": "please\n/review", "user": {"login": "alice"}},
        "repository": {"full_name": "acme/widgets"},
    }
    assert (await post(client, *signed(comment, "issue_comment", "c-1"))).status_code == 202
    plain = {**comment, "comment": {"body": "looks good", "user": {"login": "bob"}}}
    assert (await post(client, *signed(plain, "issue_comment", "c-2"))).status_code == 200
    assert [(j.trigger, j.requested_by, j.priority) for j in queue.jobs] == [
        ("command", "alice", 0)
    ]


async def test_fifty_concurrent_copies_of_a_delivery_queue_one_job(service) -> None:
    client, queue, metrics = service
    body, headers = signed(pr_payload("opened", sha("h")), "pull_request", "same")
    responses = await asyncio.gather(*(post(client, body, headers) for _ in range(50)))
    assert sorted({r.status_code for r in responses}) == [200, 202]
    assert len(queue.jobs) == 1
    assert b'review_bot_webhook_deliveries_total{outcome="duplicate"} 49.0' in metrics.render()


async def test_second_delivery_for_the_same_head_is_not_queued(service) -> None:
    client, queue, _ = service
    await post(client, *signed(pr_payload("opened", sha("h")), "pull_request", "a"))
    await post(client, *signed(pr_payload("reopened", sha("h")), "pull_request", "b"))
    assert len(queue.jobs) == 1


async def test_broker_failure_is_503_and_the_redelivery_is_processed(service) -> None:
    client, queue, _ = service
    queue.fail = True
    body, headers = signed(pr_payload("opened", sha("h")), "pull_request", "retry-me")
    assert (await post(client, body, headers)).status_code == 503
    assert (await client.get("/ready")).status_code == 503
    queue.fail = False
    assert (await post(client, body, headers)).status_code == 202
    assert len(queue.jobs) == 1


async def test_health_ready_and_metrics(service) -> None:
    client, _, _ = service
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.json()["checks"] == {"store": True, "queue": True, "transcripts": True}
    await post(client, *signed(pr_payload("opened", sha("h")), "pull_request", "m"))
    text = (await client.get("/metrics")).text
    assert 'review_bot_webhook_deliveries_total{outcome="accepted"} 1.0' in text
    assert "review_bot_queue_depth 1.0" in text


def test_each_app_has_its_own_registry() -> None:
    a, b = ServiceMetrics(), ServiceMetrics()
    a.delivery("accepted")
    assert b'outcome="accepted"' not in b.render()


@given(
    body=st.binary(max_size=300),
    headers=st.dictionaries(
        st.sampled_from(
            [
                "content-type",
                "x-github-event",
                "x-github-delivery",
                "x-hub-signature-256",
                "content-length",
            ]
        ),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=80),
    ),
    sign_it=st.booleans(),
)
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_fuzzed_requests_never_get_a_500(
    body: bytes, headers: dict[str, str], sign_it: bool
) -> None:
    async def go() -> int:
        client, _, _ = make()
        raw = {k: v for k, v in headers.items() if k != "content-length" or v.isdigit()}
        if sign_it:
            raw["x-hub-signature-256"] = sign(body, SECRET)
            raw.setdefault("content-type", "application/json")
        async with client:
            response = await client.post(
                "/webhooks/github",
                content=body,
                headers=[(k.encode(), v.encode("latin-1")) for k, v in raw.items()],
            )
        return response.status_code

    assert asyncio.run(go()) < 500


@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
        ),
        max_leaves=20,
    ),
    event=st.sampled_from(["pull_request", "issue_comment", "ping", "push"]),
)
@settings(max_examples=300, deadline=None)
def test_fuzzed_signed_payloads_never_get_a_500(payload: object, event: str) -> None:
    async def go() -> int:
        client, _, _ = make()
        body = json.dumps(payload).encode()
        headers = {
            "content-type": "application/json",
            "x-github-event": event,
            "x-github-delivery": "fz",
            "x-hub-signature-256": sign(body, SECRET),
        }
        async with client:
            return (await post(client, body, headers)).status_code

    assert asyncio.run(go()) < 500


def test_signature_check_is_exact() -> None:
    body = b"{}"
    good = sign(body, b"k")
    assert verify_signature(body, good, [b"x", b"k"]) == "valid"
    assert verify_signature(body + b" ", good, [b"k"]) == "mismatch"
    assert verify_signature(body, good.upper().replace("SHA256=", "sha256="), [b"k"]) == "valid"


async def test_the_webhook_only_takes_post(service) -> None:
    client, queue, _ = service
    response = await client.get("/webhooks/github")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert queue.jobs == []

"""Webhook edge cases from the attack run: nothing that does not parse is a 5xx, repeated
signature headers are refused, forks follow the fork policy, uninstalled repositories are
ignored, and a visibility timeout not longer than the review timeout is refused at start-up.
Fuzzed bodies and headers never give a 5xx; GitHub's published webhook examples all parse.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from review_bot.config.service import ServiceConfig
from review_bot.errors import ConfigError
from review_bot.service.app import create_app
from review_bot.service.jobs import ReviewJob, job_from_event
from review_bot.service.metrics import ServiceMetrics
from review_bot.service.signature import sign
from review_bot.service.store import MemoryStore
from tests.fakes.github_spec import node_modules
from tests.service.helpers import REPO, SECRET, pr_payload, sha, signed
from tests.service.test_service_app import RecordingQueue

_FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def make(**kw: Any) -> tuple[httpx.AsyncClient, RecordingQueue]:
    queue = RecordingQueue()
    config = ServiceConfig(webhook_secrets=(SecretStr(SECRET.decode()),), **kw)
    app = create_app(config, queue=queue, store=MemoryStore(), metrics=ServiceMetrics())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    return client, queue


async def deliver(
    client: httpx.AsyncClient, body: bytes, headers: list[tuple[str, str]]
) -> httpx.Response:
    return await client.post("/webhooks/github", content=body, headers=headers)


def signed_raw(
    body: bytes, event: str = "pull_request", delivery: str = "d-1"
) -> list[tuple[str, str]]:
    return [
        ("content-type", "application/json"),
        ("x-github-event", event),
        ("x-github-delivery", delivery),
        ("x-hub-signature-256", sign(body, SECRET)),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # nesting past the decoder's recursion limit
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b"\xff\xfe\x00garbage",  # not UTF-8, -16 or -32
        '{"action": "opened", "x": "\udcff"}'.encode("utf-8", "surrogatepass"),
        b'{"number": ' + b"9" * 5000 + b"}",  # an integer too long to convert
        b"",
        b"null",
    ],
)
async def test_a_signed_body_that_does_not_parse_is_a_400_never_a_500(body: bytes) -> None:
    client, queue = make()
    async with client:
        response = await deliver(client, body, signed_raw(body))
    assert response.status_code == 400, response.text
    assert response.json()["outcome"] == "bad_payload"
    assert queue.jobs == []


async def test_a_repeated_signature_header_is_a_400() -> None:
    body = json.dumps(pr_payload("opened", sha("h"))).encode()
    headers = [*signed_raw(body), ("x-hub-signature-256", sign(b"other", SECRET))]
    client, queue = make()
    async with client:
        response = await deliver(client, body, headers)
        # the valid one second does not help either: which copy counts is never guessed
        swapped = [headers[-1], *headers[:-1]]
        second = await deliver(client, body, swapped)
    assert (response.status_code, response.json()["outcome"]) == (400, "repeated_header")
    assert second.status_code == 400
    assert queue.jobs == []


def fork_payload() -> dict[str, Any]:
    payload = pr_payload("opened", sha("h"))
    payload["pull_request"]["head"]["repo"] = {"full_name": "mallory/widgets"}
    return payload


async def test_forks_are_queued_as_forks_by_default_and_ignored_with_policy_skip() -> None:
    body, headers = signed(fork_payload(), "pull_request", "d-fork")
    client, queue = make()
    async with client:
        assert (
            await client.post("/webhooks/github", content=body, headers=headers)
        ).status_code == 202
    assert [j.fork for j in queue.jobs] == [True]
    client, queue = make(fork_policy="skip")
    async with client:
        response = await client.post("/webhooks/github", content=body, headers=headers)
    assert response.status_code == 200
    assert "fork" in response.json()["detail"]
    assert queue.jobs == []


async def test_an_app_ignores_events_of_repositories_without_its_installation() -> None:
    payload = pr_payload("opened", sha("h"))
    del payload["installation"]
    body, headers = signed(payload, "pull_request", "d-noinst")
    client, queue = make(github_app_id="1", github_app_private_key=SecretStr("k"))
    async with client:
        response = await client.post("/webhooks/github", content=body, headers=headers)
    assert response.status_code == 200
    assert "not installed" in response.json()["detail"]
    assert queue.jobs == []


def test_start_up_refuses_a_visibility_timeout_not_longer_than_the_review_timeout() -> None:
    with pytest.raises(ConfigError) as info:
        ServiceConfig.from_env(
            {"REVIEW_BOT_REVIEW_TIMEOUT_S": "900", "REVIEW_BOT_VISIBILITY_TIMEOUT_S": "900"}
        )
    assert "VISIBILITY_TIMEOUT_S=900" in str(info.value)
    assert "REVIEW_TIMEOUT_S=900" in str(info.value)
    assert ServiceConfig(review_timeout_s=900, visibility_timeout_s=901).visibility_timeout_s == 901


def test_rerun_and_base_retarget_make_jobs() -> None:
    check = {
        "action": "rerequested",
        "check_run": {
            "head_sha": sha("h"),
            "pull_requests": [{"number": 7, "head": {"sha": sha("h")}}],
        },
        "repository": {"full_name": REPO},
        "installation": {"id": 42},
    }
    job = job_from_event("check_run", "d-r", check)
    assert isinstance(job, ReviewJob)
    assert (job.trigger, job.number, job.head_sha) == ("rerun", 7, sha("h"))
    suite = {**check, "check_suite": check["check_run"]}
    assert isinstance(job_from_event("check_suite", "d-s", suite), ReviewJob)
    edited = pr_payload("edited", sha("h"), changes={"base": {"ref": {"from": "main"}}})
    assert isinstance(job_from_event("pull_request", "d-e", edited), ReviewJob)
    title_only = pr_payload("edited", sha("h"), changes={"title": {"from": "x"}})
    assert not isinstance(job_from_event("pull_request", "d-t", title_only), ReviewJob)


_HEADER_NAMES = st.sampled_from(
    [
        "content-type",
        "x-github-event",
        "x-github-delivery",
        "x-hub-signature-256",
        "content-length",
        "x-other",
    ]
)
_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@_FUZZ
@given(
    body=st.binary(max_size=300) | _JSONISH.map(lambda v: json.dumps(v).encode()),
    event=st.sampled_from(
        ["pull_request", "issue_comment", "check_run", "check_suite", "ping", "x"]
    ),
    sign_it=st.booleans(),
    extra=st.lists(
        st.tuples(
            _HEADER_NAMES, st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
        ),
        max_size=3,
    ),
)
async def test_fuzzed_bodies_and_headers_never_give_a_5xx(
    body: bytes, event: str, sign_it: bool, extra: list[tuple[str, str]]
) -> None:
    headers = signed_raw(body, event) if sign_it else [("content-type", "application/json")]
    client, _ = make()
    async with client:
        response = await deliver(client, body, headers + extra)
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text


@_FUZZ
@given(
    payload=st.fixed_dictionaries(
        {"action": st.sampled_from(["opened", "synchronize", "edited", "created", "rerequested"])},
        optional={
            "pull_request": _JSONISH,
            "repository": _JSONISH,
            "installation": _JSONISH,
            "changes": _JSONISH,
            "check_run": _JSONISH,
            "issue": _JSONISH,
            "comment": _JSONISH,
            "number": _JSONISH,
        },
    )
)
async def test_fuzzed_signed_payloads_of_every_reviewed_event_never_give_a_5xx(
    payload: dict[str, Any],
) -> None:
    client, _ = make()
    async with client:
        for event in ("pull_request", "issue_comment", "check_run", "check_suite"):
            body, headers = signed(payload, event, "d-fz")
            response = await client.post("/webhooks/github", content=body, headers=headers)
            assert response.status_code in (200, 202, 400), response.text


def _examples() -> list[tuple[str, dict[str, Any]]]:
    index = node_modules() / "@octokit/webhooks-examples/api.github.com/index.json"
    wanted = {"pull_request", "issue_comment", "check_run", "check_suite", "ping"}
    out = []
    for entry in json.loads(index.read_text(encoding="utf-8")):
        if entry["name"] in wanted:
            out += [(entry["name"], example) for example in entry["examples"]]
    return out


async def test_githubs_published_webhook_examples_all_parse_and_reviewed_ones_queue() -> None:
    examples = _examples()
    assert len(examples) > 40
    client, queue = make()
    statuses: dict[str, set[int]] = {}
    async with client:
        for i, (event, example) in enumerate(examples):
            body, headers = signed(example, event, f"ex-{i}")
            response = await client.post("/webhooks/github", content=body, headers=headers)
            key = f"{event}.{example.get('action', '')}"
            statuses.setdefault(key, set()).add(response.status_code)
            assert response.status_code in (200, 202), (key, response.text)
    # (several "opened" examples share a head: the later ones are duplicates, 200)
    assert 202 in statuses["pull_request.opened"]
    for i, (event, example) in enumerate(examples):  # same head as an "opened": a duplicate
        if event == "pull_request" and example["action"] in ("opened", "synchronize", "reopened"):
            assert isinstance(job_from_event(event, f"x-{i}", example), ReviewJob)
    assert 202 in statuses["check_suite.rerequested"]
    queued = {(j.trigger, j.action) for j in queue.jobs}
    assert {("push", "opened"), ("rerun", "rerequested")} <= queued
    for job in queue.jobs:
        assert job.repo.count("/") == 1
        assert job.number > 0

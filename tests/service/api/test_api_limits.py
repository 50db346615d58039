"""Quotas and rate limits (429 with Retry-After and RateLimit-*), CORS, security headers, sizes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.service.api.apistack import (
    BODY,
    ApiStack,
    ScriptedReviewer,
    api_config,
    start_stack,
    stop_stack,
)


@pytest.fixture
async def tight() -> AsyncIterator[ApiStack]:
    config = api_config(
        daily_quota={"standard": 2, "enterprise": 1000},
        per_minute={"standard": 6, "enterprise": 600},
        max_body_bytes=4096,
    )
    running = await start_stack(config, ScriptedReviewer())
    yield running[0]
    await stop_stack(*running)


async def test_the_daily_quota_is_per_subject_and_plan(tight: ApiStack) -> None:
    for left in (1, 0):
        ok = await tight.client.post("/v1/reviews", json=BODY, headers=tight.auth("alice"))
        assert ok.status_code == 202
        assert ok.headers["ratelimit-remaining"] == str(left)
        assert ok.headers["ratelimit-policy"] == "2;w=86400"
    over = await tight.client.post("/v1/reviews", json=BODY, headers=tight.auth("alice"))
    assert (over.status_code, over.json()["code"]) == (429, "quota_exceeded")
    assert 0 < int(over.headers["retry-after"]) <= 86400
    assert over.headers["ratelimit-remaining"] == "0"
    other = await tight.client.post("/v1/reviews", json=BODY, headers=tight.auth("bob"))
    assert other.status_code == 202  # bob's own quota
    big = await tight.client.post(
        "/v1/reviews", json=BODY, headers=tight.auth("alice-corp", plan="enterprise")
    )
    assert (big.status_code, big.headers["ratelimit-policy"]) == (202, "600;w=60")


async def test_the_per_minute_rate_refuses_with_retry_after(tight: ApiStack) -> None:
    auth = tight.auth("carol")
    answers = [await tight.client.get("/v1/reviews/rv_x", headers=auth) for _ in range(7)]
    assert [a.status_code for a in answers] == [404] * 6 + [429]
    assert [a.headers["ratelimit-remaining"] for a in answers[:6]] == ["5", "4", "3", "2", "1", "0"]
    assert answers[-1].json()["code"] == "rate_limited"
    assert 0 < int(answers[-1].headers["retry-after"]) <= 60
    other = await tight.client.get("/v1/reviews/rv_x", headers=tight.auth("dave"))
    assert other.status_code == 404  # dave is counted apart


async def test_bodies_over_the_limit_are_refused_declared_or_streamed(tight: ApiStack) -> None:
    big = {**BODY, "files": {**BODY["files"], "pad.txt": "x" * 5000}}
    declared = await tight.client.post("/v1/reviews", json=big, headers=tight.auth())
    assert (declared.status_code, declared.json()["code"]) == (413, "payload_too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked transfer
        yield b'{"diff": "'
        for _ in range(10):
            yield b"x" * 1000

    streamed = await tight.client.post(
        "/v1/reviews",
        content=chunks(),
        headers={**tight.auth(), "content-type": "application/json"},
    )
    assert (streamed.status_code, streamed.json()["code"]) == (413, "payload_too_large")


async def test_cors_preflight_is_allowed_for_listed_origins_only(stack: ApiStack) -> None:
    ask = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    allowed = await stack.client.options(
        "/v1/reviews", headers={**ask, "Origin": "https://ok.example"}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://ok.example"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    refused = await stack.client.options(
        "/v1/reviews", headers={**ask, "Origin": "https://evil.example"}
    )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    simple = await stack.client.get("/v1/openapi.json", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


async def test_no_origin_is_allowed_by_default() -> None:
    running = await start_stack(api_config(cors_origins=()), ScriptedReviewer())
    try:
        answer = await running[0].client.options(
            "/v1/reviews",
            headers={"Origin": "https://ok.example", "Access-Control-Request-Method": "POST"},
        )
        assert answer.status_code == 400
    finally:
        await stop_stack(*running)


async def test_security_headers_and_hsts_only_over_tls(stack: ApiStack) -> None:
    for path in ("/v1/openapi.json", "/ui/reviews/rv_x", "/v1/reviews/rv_x"):
        answer = await stack.client.get(path)
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "default-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert "strict-transport-security" not in answer.headers
    behind_tls = await stack.client.get("/v1/openapi.json", headers={"X-Forwarded-Proto": "https"})
    assert behind_tls.headers["strict-transport-security"].startswith("max-age=")

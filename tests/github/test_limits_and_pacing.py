"""Bodies cut to GitHub's limits with a visible overflow note; the write budget shared by
workers; POSTs not retried blindly; bot login required for a token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from review_bot.errors import ConfigError
from review_bot.findings import Finding, Review, ReviewStats, Skip
from review_bot.github.auth import TokenAuth
from review_bot.github.client import GitHubClient, GitHubRateLimited, GitHubWriteUncertain
from review_bot.github.limits import BODY_LIMIT, fit_comment, fit_review
from review_bot.github.pacing import MemoryCounter, WriteBudget
from review_bot.github.publish import comment_body, review_body
from review_bot.service.store import RedisStore
from tests.fakes.redis_servers import LOCAL_REDIS_URL, scratch_namespace
from tests.github.strict_helpers import Clock


def finding(i: int, message: str = "bad", suggestion: str | None = None) -> Finding:
    return Finding(
        path=f"dir/file_{i:05d}.py",
        line=1 + i,
        severity="medium",
        category="correctness",
        rule_id="r1",
        message=message,
        suggestion=suggestion,
        sources=("tool:fake",),
        fingerprint=f"{i:016x}",
    )


def review(skips: int = 0) -> Review:
    skipped = tuple(
        Skip(kind="file", name=f"vendor/{i:05d}/a_rather_long_path_name.py", reason="deleted")
        for i in range(skips)
    )
    return Review(
        mode="tools-only", findings=(), summary="Summary.", stats=ReviewStats(), skipped=skipped
    )


def render(r: Review, outside: object) -> str:
    return review_body(r, "abc123", list(outside))  # type: ignore[call-overload]


def test_a_body_over_the_limit_is_cut_and_says_how_many_more_and_where() -> None:
    outside = [finding(i, "x" * 80) for i in range(2_000)]
    body = fit_review(review(skips=2_000), outside, render, where="the check run")
    assert len(body) <= BODY_LIMIT
    assert "more finding(s) outside the diff" in body
    assert "more file(s) not reviewed" in body
    assert "see the check run" in body
    assert body.rstrip().endswith("<!-- review-bot:key=abc123 -->")  # the key survives


def test_a_body_within_the_limit_is_unchanged() -> None:
    outside = [finding(i) for i in range(3)]
    assert fit_review(review(2), outside, render, where="x") == render(review(2), outside)


def test_a_huge_comment_drops_its_suggestion_then_cuts_its_message() -> None:
    big = finding(1, "m" * 10, suggestion="s" * 70_000)
    body = fit_comment(big, comment_body)
    assert len(body) <= BODY_LIMIT
    assert "suggestion" not in body
    huge = finding(2, "m" * 100_000)
    body = fit_comment(huge, comment_body)
    assert len(body) <= BODY_LIMIT
    assert "cut: too long for GitHub" in body


async def test_the_budget_waits_for_the_next_minute_and_refuses_a_long_wait() -> None:
    clock = Clock(now=600.0)
    budget = WriteBudget(
        MemoryCounter(clock),
        per_minute=2,
        per_hour=3,
        max_wait_s=120,
        sleep=clock.sleep,
        clock=clock,
    )
    for _ in range(3):
        await budget.take(42)
    assert len(clock.slept) == 1
    assert 59 < clock.slept[0] <= 60.01
    with pytest.raises(GitHubRateLimited) as info:  # the hour is spent: reschedule
        await budget.take(42)
    assert info.value.retry_after > 120
    await budget.take(43)  # another installation has its own budget


@pytest.fixture
def prefix() -> Iterator[str]:
    yield from scratch_namespace("rb-budget")


async def test_workers_share_one_budget_through_redis(prefix: str) -> None:
    clock = Clock(now=6_000.0)
    stores = [RedisStore.from_url(LOCAL_REDIS_URL, prefix + ":") for _ in range(2)]
    budgets = [
        WriteBudget(s, per_minute=3, per_hour=100, max_wait_s=0, sleep=clock.sleep, clock=clock)
        for s in stores
    ]
    try:
        await budgets[0].take(7)
        await budgets[1].take(7)
        await budgets[0].take(7)
        with pytest.raises(GitHubRateLimited):  # the fourth write of the minute, either worker
            await budgets[1].take(7)
    finally:
        for s in stores:
            await s.aclose()


async def test_a_post_answered_with_a_5xx_or_no_answer_is_not_retried() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        if request.url.path.endswith("/drop"):
            raise httpx.ConnectError("reset")
        return httpx.Response(502, json={"message": "Server Error"})

    transport = httpx.MockTransport(handler)
    async with GitHubClient(
        "http://gh", TokenAuth("t"), transport=transport, sleep=Clock().sleep
    ) as gh:
        with pytest.raises(GitHubWriteUncertain) as info:
            await gh.request("POST", "/repos/a/b/pulls/1/reviews", json={})
        assert info.value.status == 502
        with pytest.raises(GitHubWriteUncertain):
            await gh.request("POST", "/repos/a/b/drop", json={})
        assert sent == ["POST", "POST"]
        sent.clear()
        with pytest.raises(Exception):  # noqa: B017, PT011 - a GET is retried, then fails
            await gh.request("GET", "/repos/a/b")
        assert sent == ["GET"] * 4


async def test_a_token_needs_the_bot_login_and_an_app_reads_it() -> None:
    async with GitHubClient("http://gh", TokenAuth("t")) as gh:
        with pytest.raises(ConfigError, match="GITHUB_BOT_LOGIN"):
            await gh.bot_login()
    async with GitHubClient("http://gh", TokenAuth("t", login="me[bot]")) as gh:
        assert await gh.bot_login() == "me[bot]"

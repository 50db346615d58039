"""The REST client against the fake GitHub: rate limits waited out (bounded), pages followed."""

from __future__ import annotations

import pytest

from review_bot.errors import GitHubError
from review_bot.github.auth import TokenAuth
from review_bot.github.client import GitHubClient, GitHubRateLimited, GitHubStatusError
from review_bot.github.pulls import fetch_files
from tests.fakes.github_server import FakeGitHub
from tests.github.helpers import NOW, Sleeps, fake_github

REPO = "acme/widgets"
PERMISSION = f"/repos/{REPO}/collaborators/octo/permission"


def client(url: str, sleeps: Sleeps, gh: FakeGitHub, **kw: float) -> GitHubClient:
    return GitHubClient(
        url, TokenAuth(gh.token), sleep=sleeps, clock=lambda: NOW, max_retries=3, **kw
    )


def hits(gh: FakeGitHub, path: str) -> int:
    with gh.lock:
        return sum(1 for _, p in gh.requests if p == path)


@pytest.mark.parametrize("status", [403, 429])
async def test_retry_after_is_waited_then_the_call_succeeds(status: int) -> None:
    sleeps = Sleeps()
    with fake_github() as (gh, url):
        gh.fail_next(status, {"retry-after": "7"}, "You have exceeded a secondary rate limit")
        async with client(url, sleeps, gh) as c:
            assert await c.get_json(PERMISSION) == {"permission": "none"}
        assert hits(gh, PERMISSION) == 2
    assert sleeps.waits == [7.0]


async def test_an_exhausted_primary_limit_waits_until_the_reset_time() -> None:
    sleeps = Sleeps()
    with fake_github() as (gh, url):
        limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)}
        gh.fail_next(403, limited, "API rate limit exceeded")
        async with client(url, sleeps, gh) as c:
            assert await c.get_json(PERMISSION) == {"permission": "none"}
    assert sleeps.waits == [31.0]  # until the reset, plus a second of slack


async def test_retries_are_bounded_and_end_in_a_rate_limited_error() -> None:
    sleeps = Sleeps()
    with fake_github() as (gh, url):
        gh.fail_next(429, {"retry-after": "2"}, n=10)
        async with client(url, sleeps, gh) as c:
            with pytest.raises(GitHubRateLimited, match="retries exhausted") as info:
                await c.get_json(PERMISSION)
        assert hits(gh, PERMISSION) == 4  # the call and three retries
    assert sleeps.waits == [2.0, 2.0, 2.0]
    assert info.value.retry_after == 2.0


async def test_a_wait_longer_than_allowed_is_not_slept_through() -> None:
    sleeps = Sleeps()
    with fake_github() as (gh, url):
        gh.fail_next(429, {"retry-after": "3600"})
        async with client(url, sleeps, gh, max_wait_s=120) as c:
            with pytest.raises(GitHubRateLimited, match="3600s") as info:
                await c.get_json(PERMISSION)
    assert sleeps.waits == []
    assert info.value.retry_after == 3600


async def test_a_plain_403_is_not_retried() -> None:
    sleeps = Sleeps()
    with fake_github() as (gh, url):
        gh.fail_next(403, {}, "Resource not accessible by integration")
        async with client(url, sleeps, gh) as c:
            with pytest.raises(GitHubStatusError, match="not accessible") as info:
                await c.get_json(PERMISSION)
        assert hits(gh, PERMISSION) == 1
    assert info.value.status == 403
    assert sleeps.waits == []


async def test_server_errors_are_retried() -> None:
    sleeps = Sleeps()
    with fake_github() as (gh, url):
        gh.fail_next(502, n=2)
        async with client(url, sleeps, gh) as c:
            assert await c.get_json(PERMISSION) == {"permission": "none"}
    assert sleeps.waits == [1.0, 1.0]


async def test_an_unreachable_api_ends_in_an_error_naming_the_setting() -> None:
    sleeps = Sleeps()
    async with GitHubClient("http://127.0.0.1:9", TokenAuth("t"), sleep=sleeps, max_retries=2) as c:
        with pytest.raises(GitHubError, match="GITHUB_API_URL"):
            await c.get_json(PERMISSION)
    assert len(sleeps.waits) == 2


async def test_every_page_of_a_large_pull_request_is_read() -> None:
    base = {f"src/m{i:03}.py": "x = 1\n" for i in range(250)}
    head = dict.fromkeys(base, "x = 2\n")
    sleeps = Sleeps()
    with fake_github() as (gh, url):
        gh.add_commit("b" * 40, base)
        gh.add_commit("h" * 40, head)
        gh.open_pr(REPO, 5, base="b" * 40, head="h" * 40)
        async with client(url, sleeps, gh) as c:
            files = await fetch_files(c, REPO, 5)
            first_120 = await c.paginate(f"/repos/{REPO}/pulls/5/files", max_items=120)
        assert hits(gh, f"/repos/{REPO}/pulls/5/files") == 3 + 2  # 100 + 100 + 50; then 2 pages
    assert [f.filename for f in files] == sorted(base)
    assert all(f.patch and "+x = 2" in f.patch for f in files)
    assert len(first_120) == 120


async def test_a_spent_budget_makes_the_next_call_wait_for_the_reset() -> None:
    sleeps = Sleeps()
    with fake_github() as (gh, url):
        spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 20)}
        gh.fail_next(200, spent, "last call of the hour")
        async with client(url, sleeps, gh) as c:
            assert await c.get_json(PERMISSION) == {"message": "last call of the hour"}
            assert sleeps.waits == []
            assert await c.get_json(PERMISSION) == {"permission": "none"}
    assert sleeps.waits == [20.0]

"""Posting a review: GitHub refusing an inline position (422) moves it into the summary."""

from __future__ import annotations

from review_bot.change import from_files
from review_bot.config.models import ReviewConfig
from review_bot.github.auth import TokenAuth
from review_bot.github.client import GitHubClient
from review_bot.github.posting import publish_review
from review_bot.github.publish import PublishResult
from review_bot.pipeline import Services
from tests.fakes.github_server import BOT_LOGIN, FakeGitHub
from tests.github.helpers import fake_github
from tests.service import fake_reviewer
from tests.service.helpers import BASE_TREE, HEAD_TREE, REPO, sha


async def _review_on_fake(refuse: set[tuple[str, int]]) -> tuple[FakeGitHub, PublishResult]:
    change = from_files(BASE_TREE, HEAD_TREE)
    review = await fake_reviewer.review(change, ReviewConfig(), Services())
    with fake_github(refuse_lines=refuse) as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), HEAD_TREE)
        gh.open_pr(REPO, 9, base=sha("base"), head=sha("head1"))
        async with GitHubClient(url, TokenAuth(gh.token)) as client:
            result = await publish_review(
                client, REPO, 9, review, change, key="k1", bot_login=BOT_LOGIN
            )
        return gh, result


async def test_a_refused_position_moves_only_that_comment_to_the_summary() -> None:
    gh, result = await _review_on_fake({("app.py", 5)})
    # the refused batch is halved: util.py:2 goes inline (in a part review), app.py:5 alone
    # is listed in the main review's body, which is posted last
    assert [(c["path"], c["line"]) for c in gh.comments.values()] == [("util.py", 2)]
    main = gh.reviews[-1]["body"]
    assert "review-bot:key=k1" in main
    assert "Findings outside the diff's commentable lines" in main
    assert "`app.py:5`" in main
    assert "`util.py:2`" not in main
    assert result.in_summary == 1
    assert result.created == 1


async def test_without_refusals_the_findings_are_inline() -> None:
    gh, result = await _review_on_fake(set())
    spots = sorted((c["path"], c["line"]) for c in gh.comments.values())
    assert spots == [("app.py", 5), ("util.py", 2)]
    assert "outside the diff" not in gh.reviews[0]["body"]
    assert result.created == 2


async def test_on_re_review_only_the_refused_comment_goes_to_the_summary() -> None:
    # the first review's comments are posted; the fake then refuses util.py:2 on re-post
    change = from_files(BASE_TREE, HEAD_TREE)
    review = await fake_reviewer.review(change, ReviewConfig(), Services())
    with fake_github() as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), HEAD_TREE)
        gh.open_pr(REPO, 9, base=sha("base"), head=sha("head1"))
        async with GitHubClient(url, TokenAuth(gh.token)) as client:
            await publish_review(client, REPO, 9, review, change, key="k1", bot_login=BOT_LOGIN)
            # the util.py thread is gone (deleted by a maintainer) and GitHub refuses the line
            util = next(cid for cid, c in gh.comments.items() if c["path"] == "util.py")
            del gh.comments[util]
            gh.refuse_lines.add(("util.py", 2))
            result = await publish_review(
                client, REPO, 9, review, change, key="k2", bot_login=BOT_LOGIN
            )
    assert len(gh.reviews) == 1
    assert [(c["path"], c["line"]) for c in gh.comments.values()] == [("app.py", 5)]
    body = gh.reviews[0]["body"]
    assert "`util.py:2`" in body
    assert "`app.py:5`" not in body
    assert result.in_summary == 1

"""Reviews against the strict fake GitHub (its documented limits and rules), with every
request and answer checked against GitHub's OpenAPI description."""

from __future__ import annotations

import pytest

from review_bot.change import ChangeLimits
from review_bot.github.client import GitHubClient
from review_bot.github.limits import BODY_LIMIT, COMMENTS_PER_REVIEW
from review_bot.github.pulls import build_change, fetch_files, fetch_pull
from review_bot.service.runner import run_job
from tests.fakes.github_spec import GitHubSpec, load_spec
from tests.github.helpers import rsa_key_pair
from tests.github.strict_helpers import (
    BOT,
    Clock,
    app_client,
    app_deps,
    budget,
    eval_lines,
    job,
    strict_github,
)
from tests.service.helpers import BASE_TREE, HEAD_TREE, REPO, sha


@pytest.fixture(scope="session")
def spec() -> GitHubSpec:
    return load_spec()


@pytest.fixture(scope="session")
def keys() -> tuple[str, str]:
    return rsa_key_pair()


def _reviews_with_key(gh) -> list[dict]:
    return [r for r in gh.reviews if "review-bot:key=" in r["body"]]


async def test_a_first_review_and_a_re_review_match_githubs_openapi_description(spec, keys) -> None:
    clock = Clock()
    head2 = {
        **HEAD_TREE,
        "app.py": "# moved\n" + HEAD_TREE["app.py"],
        "util.py": BASE_TREE["util.py"],
    }
    with strict_github(spec, keys) as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), HEAD_TREE)
        gh.add_commit(sha("head2"), head2)
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        deps = app_deps(url, keys, clock)
        assert await run_job(job(sha("head1")), deps) == "posted"
        gh.push(REPO, 7, sha("head2"))
        assert (
            await run_job(job(sha("head2"), before=sha("head1"), delivery_id="d-2"), deps)
            == "posted"
        )
    assert gh.spec_checked > 15
    assert gh.spec_errors == []
    # the one-line shift kept app.py's comment (GitHub moved it), util.py's thread resolved
    live = gh.live_comments()
    assert [(c["path"], c["line"]) for c in live if c["path"] == "app.py"] == [("app.py", 6)]
    assert gh.deleted_comments == []
    assert len(gh.resolved_threads) == 1
    assert len(_reviews_with_key(gh)) == 1
    assert len(gh.check_runs) == 2


async def _reviewer_with_skips(change, config, events):
    """The fake reviewer, listing the change's skipped files as the pipeline does."""
    from review_bot.findings import Skip
    from review_bot.pipeline import Services
    from tests.service import fake_reviewer

    review = await fake_reviewer.review(change, config, Services(events=events))
    skips = tuple(Skip(kind="file", name=s.path, reason=s.reason) for s in change.skipped)
    return review.model_copy(update={"skipped": skips})


async def test_a_1000_file_deletion_gets_one_review_within_limits_and_one_check_run(
    spec, keys
) -> None:
    clock = Clock()
    vendored = {f"vendor/lib/module_{i:04d}_with_a_long_name.py": f"x = {i}\n" for i in range(1000)}
    with strict_github(spec, keys) as (gh, url):
        gh.add_commit(sha("base"), {**BASE_TREE, **vendored})
        gh.add_commit(sha("head1"), HEAD_TREE)
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        deps = app_deps(url, keys, clock, reviewer=_reviewer_with_skips)
        assert await run_job(job(sha("head1")), deps) == "posted"
    assert len(gh.reviews) == 1
    body = gh.reviews[0]["body"]
    assert len(body) <= BODY_LIMIT
    assert "more file(s) not reviewed" in body
    assert len(gh.check_runs) == 1
    assert "vendor/lib/module_0999" in gh.check_runs[0]["output"]["text"] or (
        "cut at GitHub" in gh.check_runs[0]["output"]["text"]
    )


async def test_100_findings_go_out_in_reviews_of_30_and_annotations_of_50(spec, keys) -> None:
    clock = Clock()
    with strict_github(spec, keys, writes_per_minute=80, clock=clock) as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), {**BASE_TREE, "many.py": eval_lines(100)})
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        assert await run_job(job(sha("head1")), app_deps(url, keys, clock)) == "posted"
    assert gh.secondary_hits == 0
    assert len(gh.comments) == 100
    per_review: dict[int, int] = {}
    for c in gh.comments.values():
        per_review[c["pull_request_review_id"]] = per_review.get(c["pull_request_review_id"], 0) + 1
    assert sorted(per_review.values()) == [10, 30, 30, 30]
    assert max(per_review.values()) <= COMMENTS_PER_REVIEW
    assert len(_reviews_with_key(gh)) == 1
    assert len(gh.check_runs[0]["annotations"]) == 100
    assert gh.spec_errors == []


async def test_the_write_budget_paces_writes_under_the_secondary_limit(spec, keys) -> None:
    clock = Clock()
    with strict_github(spec, keys, writes_per_minute=3, clock=clock) as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), {**BASE_TREE, "many.py": eval_lines(100)})
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        deps = app_deps(url, keys, clock)
        paced = budget(clock, per_minute=3)  # the fake's limit, not the default 60/min
        inner = deps.github

        def client(installation: int | None) -> GitHubClient:
            made = inner(installation)
            made._budget = paced
            return made

        deps = deps.__class__(**{**deps.__dict__, "github": client})
        assert await run_job(job(sha("head1")), deps) == "posted"
    assert gh.secondary_hits == 0
    assert len(gh.comments) == 100
    assert any(s > 1 for s in clock.slept)  # waited for the next minute, on the clock


async def test_a_502_after_the_review_was_created_gives_one_review(spec, keys) -> None:
    clock = Clock()
    with strict_github(spec, keys, fail_after_create=1) as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), HEAD_TREE)
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        assert await run_job(job(sha("head1")), app_deps(url, keys, clock)) == "posted"
    assert gh.created_then_failed == 1
    assert len(gh.reviews) == 1
    assert len(gh.comments) == 2
    assert len(gh.check_runs) == 1


async def test_submitted_too_quickly_is_waited_out_not_taken_for_a_bad_position(spec, keys) -> None:
    clock = Clock()
    with strict_github(spec, keys, too_quickly=1) as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), HEAD_TREE)
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        assert await run_job(job(sha("head1")), app_deps(url, keys, clock)) == "posted"
    assert len(gh.reviews) == 1
    assert len(gh.comments) == 2  # nothing moved to the summary
    assert 60.0 in clock.slept


async def test_a_push_of_more_than_300_files_re_reviews_every_changed_file(spec, keys) -> None:
    clock = Clock()
    seen: list[set[str]] = []

    async def reviewer(change, config, events):
        from review_bot.pipeline import Services
        from tests.service import fake_reviewer

        seen.append({f.path for f in change.files})
        return await fake_reviewer.review(change, config, Services(events=events))

    many = {f"pkg/m{i:03d}.py": f"x = {i}\n" for i in range(350)}
    changed = {path: text + "y = 1\n" for path, text in many.items()}
    with strict_github(spec, keys) as (gh, url):
        gh.add_commit(sha("base"), {**BASE_TREE, **many})
        gh.add_commit(sha("head1"), {**HEAD_TREE, **many})
        gh.add_commit(sha("head2"), {**HEAD_TREE, **changed})
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        deps = app_deps(url, keys, clock, reviewer=reviewer)
        await run_job(job(sha("head1")), deps)
        gh.push(REPO, 7, sha("head2"))
        await run_job(job(sha("head2"), before=sha("head1"), delivery_id="d-2"), deps)
    assert seen[0] == {"app.py", "util.py"}
    # compare listed only 300 of the 350 changed files: the whole PR was reviewed again
    assert set(changed) <= seen[1]


@pytest.mark.parametrize("path", ["src/c#d.py", "q?x=1.py", "p%41.py", "ünï/cödé.py", "a b.py"])
async def test_paths_with_url_special_characters_are_fetched_right(spec, keys, path: str) -> None:
    clock = Clock()
    text = f"# {path}\nvalue = eval('1')\n"
    with strict_github(spec, keys) as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), {**BASE_TREE, path: text})
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        async with app_client(url, keys, clock) as client:
            pr = await fetch_pull(client, REPO, 7)
            change = await build_change(
                client, REPO, pr, await fetch_files(client, REPO, 7), ChangeLimits()
            )
    assert change.skipped == ()
    assert change.file(path) is not None
    assert change.file(path).new_content == text


async def test_a_foreign_comment_carrying_our_marker_is_left_alone(spec, keys) -> None:
    clock = Clock()
    head2 = {**HEAD_TREE, "util.py": BASE_TREE["util.py"]}  # util.py's finding is fixed
    with strict_github(spec, keys) as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), HEAD_TREE)
        gh.add_commit(sha("head2"), head2)
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        deps = app_deps(url, keys, clock)
        await run_job(job(sha("head1")), deps)
        ours = next(c for c in gh.live_comments() if c["path"] == "util.py")
        forged = dict(ours, id=9_999, user={"login": "mallory"}, body=ours["body"] + "\nhi")
        reply = dict(
            ours, id=9_998, user={"login": "alice"}, body="why?", in_reply_to_id=ours["id"]
        )
        gh.comments[9_999] = forged
        gh.comments[9_998] = reply
        gh.push(REPO, 7, sha("head2"))
        await run_job(job(sha("head2"), before=sha("head1"), delivery_id="d-2"), deps)
        touched = [p for m, p in gh.requests if m != "GET" and p.endswith(("/9999", "/9998"))]
    assert gh.comments[9_999]["body"] == forged["body"]
    assert touched == []
    assert "T_9999" not in gh.resolved_threads
    assert f"T_{ours['id']}" in gh.resolved_threads  # ours is resolved, the reply kept
    assert 9_998 in gh.comments
    assert gh.deleted_comments == []


async def test_re_run_of_the_check_run_reviews_again(spec, keys) -> None:
    clock = Clock()
    with strict_github(spec, keys) as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), HEAD_TREE)
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        deps = app_deps(url, keys, clock)
        assert await run_job(job(sha("head1")), deps) == "posted"
        assert await run_job(job(sha("head1"), delivery_id="d-1b"), deps) == "already_posted"
        rerun = job(sha("head1"), delivery_id="d-rerun", trigger="rerun", action="rerequested")
        assert await run_job(rerun, deps) == "posted"
    assert len(gh.check_runs) == 2
    assert len(_reviews_with_key(gh)) == 1  # the one review was updated, not duplicated
    assert len(gh.comments) == 2


async def test_a_token_without_app_auth_falls_back_to_a_commit_status(spec, keys) -> None:
    from pydantic import SecretStr

    from review_bot.config.service import ServiceConfig
    from review_bot.service.wiring import github_factory

    with strict_github(spec, keys) as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), HEAD_TREE)
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        deps = app_deps(url, keys, Clock())
        config = ServiceConfig(
            github_token=SecretStr(gh.token), github_bot_login=BOT, github_api_url=url
        )
        deps = deps.__class__(
            **{**deps.__dict__, "config": config, "github": github_factory(config)}
        )
        assert await run_job(job(sha("head1")), deps) == "posted"
    assert gh.check_runs == []
    assert [(s["state"], s["context"]) for s in gh.statuses] == [("failure", "review-bot")]
    assert len(gh.reviews) == 1


async def test_an_outdated_comment_is_replaced_once_and_its_thread_resolved(spec, keys) -> None:
    from review_bot.change import from_files
    from review_bot.config.models import ReviewConfig
    from review_bot.github.posting import publish_review
    from review_bot.pipeline import Services
    from tests.fakes.github_strict import outdate
    from tests.service import fake_reviewer

    change = from_files(BASE_TREE, HEAD_TREE).model_copy(update={"head": sha("head1")})
    review = await fake_reviewer.review(change, ReviewConfig(), Services())
    with strict_github(spec, keys) as (gh, url):
        gh.add_commit(sha("base"), BASE_TREE)
        gh.add_commit(sha("head1"), HEAD_TREE)
        gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
        async with app_client(url, keys, Clock()) as client:
            await publish_review(client, REPO, 7, review, change, key="k1", bot_login=BOT)
            old = next(c for c in gh.comments.values() if c["path"] == "app.py")
            outdate(old)  # as GitHub does when the line is gone from the diff
            again = await publish_review(client, REPO, 7, review, change, key="k2", bot_login=BOT)
            third = await publish_review(client, REPO, 7, review, change, key="k3", bot_login=BOT)
    app_comments = [c for c in gh.comments.values() if c["path"] == "app.py"]
    assert len(app_comments) == 2  # the outdated one (kept, with any replies) and its successor
    assert (again.created, again.resolved) == (1, 1)
    assert f"T_{old['id']}" in gh.resolved_threads
    assert (third.created, third.resolved, third.updated) == (0, 0, 0)

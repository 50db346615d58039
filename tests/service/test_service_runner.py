"""The review job against the fake GitHub: one review, updates on re-review, base config."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from pydantic import SecretStr

from review_bot.config.models import ReviewConfig
from review_bot.config.service import ServiceConfig
from review_bot.errors import ConfigError
from review_bot.service.jobs import ReviewJob
from review_bot.service.metrics import ServiceMetrics
from review_bot.service.runner import RunnerDeps, run_job
from review_bot.service.store import MemoryStore
from review_bot.service.wiring import github_factory, pipeline_reviewer
from tests.fakes.github_server import BOT_LOGIN, FakeGitHub, serve_fake_github
from tests.service import fake_reviewer
from tests.service.helpers import BASE_TREE, HEAD_TREE, REPO, sha


@pytest.fixture
def fake() -> Iterator[tuple[FakeGitHub, str]]:
    gh = FakeGitHub()
    gh.add_commit(sha("base"), BASE_TREE)
    gh.add_commit(sha("head1"), HEAD_TREE)
    gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))
    with serve_fake_github(gh) as url:
        yield gh, url


def deps(url: str, store: MemoryStore | None = None) -> RunnerDeps:
    config = ServiceConfig(
        github_token=SecretStr("test-token"), github_api_url=url, github_bot_login=BOT_LOGIN
    )
    return RunnerDeps(
        config=config,
        store=store or MemoryStore(),
        github=github_factory(config),
        reviewer=pipeline_reviewer(fake_reviewer.review),
        base_config=ReviewConfig(),
        metrics=ServiceMetrics(),
    )


def push_job(
    head: str, action: str = "opened", delivery: str = "d1", before: str | None = None
) -> ReviewJob:
    return ReviewJob(
        delivery_id=delivery,
        trigger="push",
        repo=REPO,
        number=7,
        action=action,
        head_sha=head,
        before_sha=before,
        installation_id=42,
    )


async def test_opened_pr_gets_one_review_with_inline_comments_and_a_check(fake) -> None:
    gh, url = fake
    d = deps(url)
    assert await run_job(push_job(sha("head1")), d) == "posted"
    assert len(gh.reviews) == 1
    spots = sorted((c["path"], c["line"]) for c in gh.live_comments())
    assert spots == [("app.py", 5), ("util.py", 2)]
    body = next(c["body"] for c in gh.live_comments() if c["path"] == "app.py")
    assert "```suggestion\n    return ast.literal_eval(x)\n```" in body
    assert gh.check_runs[0]["conclusion"] == "failure"
    assert gh.check_runs[0]["head_sha"] == sha("head1")


async def test_the_same_job_twice_posts_once_even_with_a_fresh_store(fake) -> None:
    gh, url = fake
    assert await run_job(push_job(sha("head1")), deps(url)) == "posted"
    # a new store forgets the marker: the key in the review body on GitHub still holds
    assert await run_job(push_job(sha("head1")), deps(url)) == "already_posted"
    assert len(gh.reviews) == 1
    assert len(gh.live_comments()) == 2


async def test_synchronize_reviews_only_changed_files_and_updates_comments(
    fake, tmp_path, monkeypatch
) -> None:
    gh, url = fake
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("FAKE_REVIEWER_LOG", str(log))
    store = MemoryStore()
    await run_job(push_job(sha("head1")), deps(url, store))
    fixed = {**HEAD_TREE, "util.py": "def helper():\n    return 2\n"}
    gh.add_commit(sha("head2"), fixed)
    gh.push(REPO, 7, sha("head2"))
    job = push_job(sha("head2"), "synchronize", "d2", before=sha("head1"))
    assert await run_job(job, deps(url, store)) == "posted"
    runs = log.read_text().splitlines()
    assert '"paths": ["util.py"]' in runs[1]
    assert len(gh.reviews) == 1, "re-review must update the review, not add one"
    live = gh.live_comments()
    active = [c for c in live if "resolved" not in c["body"]]
    assert [(c["path"], c["line"]) for c in active] == [("app.py", 5)]
    assert any(c["path"] == "util.py" and "Resolved" in c["body"] for c in live)
    assert "earlier finding(s)" in gh.reviews[0]["body"]


async def test_config_comes_from_the_base_branch_not_the_pr(fake) -> None:
    gh, url = fake
    sneaky = {**HEAD_TREE, ".review-bot.toml": '[review.tools]\ndisabled = ["semgrep"]\n'}
    gh.add_commit(sha("sneaky"), sneaky)
    gh.push(REPO, 7, sha("sneaky"))
    assert await run_job(push_job(sha("sneaky")), deps(url)) == "posted"
    assert len(gh.live_comments()) == 2


async def test_base_config_can_switch_checks_off(fake) -> None:
    gh, url = fake
    off = '[review.tools]\ndisabled = ["semgrep"]\n'
    gh.add_commit(sha("base-off"), {**BASE_TREE, ".review-bot.toml": off})
    gh.open_pr(REPO, 8, base=sha("base-off"), head=sha("head1"))
    job = push_job(sha("head1")).model_copy(update={"number": 8})
    assert await run_job(job, deps(url)) == "posted"
    assert gh.live_comments() == []


async def test_review_command_needs_write_access(fake) -> None:
    gh, url = fake
    job = ReviewJob(
        delivery_id="c1",
        trigger="command",
        repo=REPO,
        number=7,
        action="review_command",
        installation_id=42,
        requested_by="mallory",
        priority=0,
    )
    assert await run_job(job, deps(url)) == "skipped"
    assert gh.reviews == []
    gh.permissions[(REPO, "alice")] = "write"
    assert await run_job(job.model_copy(update={"requested_by": "alice"}), deps(url)) == "posted"
    assert len(gh.reviews) == 1


async def test_a_stale_head_is_skipped(fake) -> None:
    gh, url = fake
    assert await run_job(push_job(sha("old")), deps(url)) == "skipped"
    assert gh.reviews == []


async def test_team_controls_and_agents_md_come_from_the_base_branch(fake) -> None:
    gh, url = fake
    base = {
        **BASE_TREE,
        ".review-bot.toml": (
            '[paths]\nexclude = ["util.py"]\n[severity.style]\nmax = "low"\n[baseline]\n'
        ),
        "AGENTS.md": "Base rules.\n",
        ".review-bot-baseline.json": '{"version": 1, "fingerprints": ["' + "a" * 32 + '"]}',
    }
    head = {**HEAD_TREE, ".review-bot.toml": '[paths]\nexclude = ["**"]\n', "AGENTS.md": "Nope.\n"}
    gh.add_commit(sha("ctl-base"), base)
    gh.add_commit(sha("ctl-head"), head)
    gh.open_pr(REPO, 9, base=sha("ctl-base"), head=sha("ctl-head"))
    seen: list[ReviewConfig] = []
    inner = pipeline_reviewer(fake_reviewer.review)

    async def capturing(change, config, events):  # type: ignore[no-untyped-def]
        seen.append(config)
        return await inner(change, config, events)

    job = push_job(sha("ctl-head")).model_copy(update={"number": 9})
    assert await run_job(job, replace(deps(url), reviewer=capturing)) == "posted"
    (config,) = seen
    assert config.controls.paths.exclude == ("util.py",)
    assert config.controls.severity["style"].max == "low"
    assert config.controls.instructions.agents_md == "Base rules.\n"
    assert config.controls.baseline == ("a" * 32,)


async def test_a_typo_in_the_base_config_fails_the_job_naming_it(fake) -> None:
    gh, url = fake
    typo = {**BASE_TREE, ".review-bot.toml": '[review.tools]\nenabled = ["rufff"]\n'}
    gh.add_commit(sha("typo-base"), typo)
    gh.open_pr(REPO, 10, base=sha("typo-base"), head=sha("head1"))
    job = push_job(sha("head1")).model_copy(update={"number": 10})
    with pytest.raises(ConfigError, match="'rufff'"):
        await run_job(job, deps(url))

"""Rate-limited and failing jobs are rescheduled for when GitHub allows, bounded in total,
and end with a failing check run saying why; forks are reviewed by the tools only.
Time is the injected clock's: nothing here waits on the wall clock."""

from __future__ import annotations

from typing import Any

import pytest
from celery.exceptions import Retry

from review_bot.change import ChangeSet
from review_bot.config.models import ReviewConfig
from review_bot.events import EventSink
from review_bot.findings import Review, ReviewStats
from review_bot.github.client import GitHubRateLimited
from review_bot.service.celery_app import LoopThread, make_celery, register_review_task
from review_bot.service.jobs import ReviewJob
from review_bot.service.queue import EmbeddedQueue
from review_bot.service.retrying import GiveUp, Reschedule, decide, reschedule_handler
from review_bot.service.runner import RunnerDeps, run_job
from tests.fakes.github_spec import GitHubSpec, load_spec
from tests.github.helpers import rsa_key_pair
from tests.github.strict_helpers import Clock, app_deps, job, strict_github
from tests.service.helpers import BASE_TREE, HEAD_TREE, REPO, sha


@pytest.fixture(scope="session")
def spec() -> GitHubSpec:
    return load_spec()


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return rsa_key_pair()


def _rate_limit_in(gh: Any, clock: Clock, seconds: int) -> None:
    reset = str(int(clock.now + seconds))
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    gh.fail_next(403, headers, message="API rate limit exceeded for installation ID 42.")


async def _warm(deps: RunnerDeps) -> None:
    """Exchange the installation token first (its client keeps the wall clock)."""
    async with deps.github(42) as client:
        await client.get_json(f"/repos/{REPO}/pulls/7")


def _setup(gh: Any) -> None:
    gh.add_commit(sha("base"), BASE_TREE)
    gh.add_commit(sha("head1"), HEAD_TREE)
    gh.open_pr(REPO, 7, base=sha("base"), head=sha("head1"))


async def test_a_reset_10_minutes_away_reschedules_the_job_and_it_then_posts(spec, keys) -> None:
    clock = Clock()
    scheduled: list[tuple[float, Any]] = []
    with strict_github(spec, keys) as (gh, url):
        _setup(gh)
        deps = app_deps(url, keys, clock)
        await _warm(deps)
        _rate_limit_in(gh, clock, 600)

        async def handle(j: ReviewJob) -> object:
            return await reschedule_handler(deps, queue.later)(j)

        queue = EmbeddedQueue(
            handle, workers=1, maxsize=10, call_later=lambda d, fn: scheduled.append((d, fn))
        )
        await queue.start()
        try:
            await queue.enqueue(job(sha("head1")))
            await queue.join()
            assert gh.reviews == []
            assert len(scheduled) == 1
            assert deps.metrics.jobs.labels(outcome="rescheduled")._value.get() == 1
            delay, requeue = scheduled[0]
            assert 600 <= delay <= 602
            clock.now += delay  # the reset has passed
            requeue()
            await queue.join()
        finally:
            await queue.stop()
    assert len(gh.reviews) == 1
    assert len(gh.check_runs) == 1
    assert gh.check_runs[0]["conclusion"] == "failure"  # the review's own (an eval finding)


async def test_past_the_total_delay_the_job_ends_with_a_failing_check_run(spec, keys) -> None:
    clock = Clock()
    with strict_github(spec, keys) as (gh, url):
        _setup(gh)
        deps = app_deps(url, keys, clock, max_reschedule_s=900)
        await _warm(deps)
        _rate_limit_in(gh, clock, 600)
        later: list[Any] = []
        handle = reschedule_handler(deps, lambda d, j: later.append((d, j)))
        tired = job(sha("head1")).model_copy(update={"attempt": 3, "deferred_s": 500.0})
        assert await handle(tired) == "failed"
    assert later == []
    assert gh.reviews == []
    [run] = gh.check_runs
    assert run["conclusion"] == "failure"
    assert run["output"]["title"] == "Review Bot could not review this commit"
    assert "rate limit" in run["output"]["summary"]
    assert "900s limit" in run["output"]["summary"]
    # the error-rate alert (deploy/prometheus/alerts.yml) reads this count
    assert deps.metrics.jobs.labels(outcome="failed")._value.get() == 1


def test_decide_reschedules_for_the_reset_and_backs_off_on_5xx() -> None:
    j = job(sha("h"))
    limited = decide(j, GitHubRateLimited("limited", 403, 600.0), 3600)
    assert isinstance(limited, Reschedule)
    assert (limited.delay_s, limited.job.attempt, limited.job.deferred_s) == (600.0, 1, 600.0)
    from review_bot.github.client import GitHubStatusError, GitHubWriteUncertain

    flaky = decide(j.model_copy(update={"attempt": 2}), GitHubWriteUncertain("502", 502), 3600)
    assert isinstance(flaky, Reschedule)
    assert flaky.delay_s == 120.0
    assert isinstance(decide(j, GitHubStatusError("no", 404), 3600), GiveUp)


def test_the_celery_task_retries_with_the_reset_as_countdown(spec, keys) -> None:
    clock = Clock()
    loop = LoopThread()
    with strict_github(spec, keys) as (gh, url):
        _setup(gh)
        deps = app_deps(url, keys, clock)
        loop.run(_warm(deps))
        _rate_limit_in(gh, clock, 600)

        async def get_deps() -> RunnerDeps:
            return deps

        app = make_celery(deps.config)
        task = register_review_task(app, get_deps, loop)
        retries: list[dict[str, Any]] = []

        def retry(**kw: Any) -> Retry:  # Celery's retry, recorded instead of sent
            retries.append(kw)
            return Retry("recorded")

        task.retry = retry
        try:
            with pytest.raises(Retry):
                task.run(job(sha("head1")).model_dump(mode="json"))
        finally:
            loop.stop()
    [call] = retries
    assert 600 <= call["countdown"] <= 602
    assert call["args"][0]["attempt"] == 1
    assert gh.reviews == []


async def test_a_fork_is_reviewed_by_the_tools_only(spec, keys) -> None:
    seen: list[bool] = []

    async def reviewer(change: ChangeSet, config: ReviewConfig, events: EventSink) -> Review:
        seen.append(config.tools_only)
        return Review(mode="tools-only", findings=(), summary="ok", stats=ReviewStats())

    with strict_github(spec, keys) as (gh, url):
        _setup(gh)
        gh.prs[(REPO, 7)].head_repo = "mallory/widgets"
        assert await run_job(job(sha("head1")), app_deps(url, keys, Clock(), reviewer)) == "posted"
        skip = app_deps(url, keys, Clock(), reviewer, fork_policy="skip")
        assert await run_job(job(sha("head1"), delivery_id="d-2"), skip) == "skipped"
    assert seen == [True]

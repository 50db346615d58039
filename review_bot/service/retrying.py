"""Jobs GitHub could not take now are rescheduled, not dropped; in the end they fail visibly.

A rate limit (primary, secondary, or our own write budget) reschedules the job for when it
resets; a GitHub 5xx, a write that may not have gone through, or an unavailable dependency
for an exponential backoff. The total delay of one job is bounded (``max_reschedule_s``);
past it, or on an error no retry can fix, the job ends with a failing check run on the head
that says why, so nobody is left waiting for a review that will never come.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from review_bot.errors import DependencyUnavailable, GitHubError, ReviewError
from review_bot.github.checks import post_failure_check
from review_bot.github.client import GitHubRateLimited, GitHubStatusError
from review_bot.service.jobs import ReviewJob
from review_bot.service.runner import JobBusy, JobOutcome, RunnerDeps, run_job

__all__ = [
    "GiveUp",
    "Later",
    "Reschedule",
    "decide",
    "give_up",
    "reschedule_handler",
    "run_or_reschedule",
]

log = logging.getLogger(__name__)

_BACKOFF_S = 30.0
_BACKOFF_MAX_S = 900.0
_MIN_DELAY_S = 1.0


@dataclass(frozen=True)
class Reschedule:
    """Run ``job`` (its counters advanced) again in ``delay_s`` seconds."""

    job: ReviewJob
    delay_s: float


@dataclass(frozen=True)
class GiveUp:
    """Stop trying; ``reason`` goes on the failing check run."""

    reason: str


def decide(job: ReviewJob, exc: ReviewError, max_reschedule_s: float) -> Reschedule | GiveUp:
    """What to do with ``job`` after ``exc`` (JobBusy is the queue's own retry, not here)."""
    if isinstance(exc, GitHubRateLimited):
        delay = max(exc.retry_after, _MIN_DELAY_S)
    elif _transient(exc):
        delay = min(_BACKOFF_S * 2**job.attempt, _BACKOFF_MAX_S)
    else:
        return GiveUp(reason=str(exc))
    if job.deferred_s + delay > max_reschedule_s:
        return GiveUp(
            reason=f"{exc} (gave up after {job.attempt} reschedule(s) over "
            f"{job.deferred_s:.0f}s; the next wait of {delay:.0f}s would pass the "
            f"{max_reschedule_s:.0f}s limit)"
        )
    later = job.model_copy(
        update={"attempt": job.attempt + 1, "deferred_s": job.deferred_s + delay}
    )
    return Reschedule(job=later, delay_s=delay)


def _transient(exc: ReviewError) -> bool:
    if isinstance(exc, GitHubStatusError):
        return exc.status == 0 or exc.status >= 500
    if isinstance(exc, GitHubError):
        return True  # no answer after the client's retries
    return isinstance(exc, DependencyUnavailable) and not isinstance(exc, JobBusy)


async def give_up(job: ReviewJob, deps: RunnerDeps, reason: str) -> None:
    """Say on the PR's head, as a failing check run, that the job could not be done."""
    log.error("job %s %s#%s given up: %s", job.delivery_id, job.repo, job.number, reason)
    try:
        async with deps.github(job.installation_id) as gh:
            head = job.head_sha
            if head is None:
                head = (await gh.get_json(f"/repos/{job.repo}/pulls/{job.number}"))["head"]["sha"]
            await post_failure_check(
                gh, job.repo, str(head), name=deps.config.check_run_name, reason=reason
            )
    except (ReviewError, KeyError, TypeError) as exc:  # GitHub itself is what failed
        log.error("job %s: the failure could not be posted either: %s", job.delivery_id, exc)


async def run_or_reschedule(job: ReviewJob, deps: RunnerDeps) -> JobOutcome | Reschedule:
    """Run ``job``; a :class:`Reschedule` when it should run again later. Gives up (with
    the failing check run) on errors no retry fixes, or when the total delay is spent."""
    try:
        return await run_job(job, deps)
    except JobBusy:
        raise
    except ReviewError as exc:
        action = decide(job, exc, deps.config.max_reschedule_s)
        if isinstance(action, Reschedule):
            log.warning(
                "job %s %s#%s rescheduled in %.0fs: %s",
                job.delivery_id,
                job.repo,
                job.number,
                action.delay_s,
                exc,
            )
            deps.metrics.job_ended("rescheduled")
            return action
        await give_up(job, deps, action.reason)
        deps.metrics.job_ended("failed")  # the error-rate alert reads this outcome
        return "failed"


Later = Callable[[float, ReviewJob], object]
"""Queue ``job`` again after ``delay`` seconds (the embedded queue's :meth:`later`)."""


def reschedule_handler(
    deps: RunnerDeps, later: Later
) -> Callable[[ReviewJob], Awaitable[JobOutcome | Reschedule]]:
    """The embedded queue's job handler: run, and hand rescheduled jobs to ``later``."""

    async def handle(job: ReviewJob) -> JobOutcome | Reschedule:
        result = await run_or_reschedule(job, deps)
        if isinstance(result, Reschedule):
            later(result.delay_s, result.job)
        return result

    return handle

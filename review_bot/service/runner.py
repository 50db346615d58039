"""One review job, start to finish: read the PR, review it, post the result exactly once.

Exactly once rests on three guards, checked before posting: a ``posted:`` marker keyed by
(repo, PR, head SHA, config hash), a ``lock:`` on that key while a worker holds the job, and
the key written into the bot's review body on GitHub itself (so even a marker lost with a
crash after posting cannot cause a second review). The marker is set only after posting.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from review_bot.change import ChangeSet
from review_bot.config.models import ReviewConfig
from review_bot.config.service import ServiceConfig
from review_bot.errors import JobBusy
from review_bot.events import EventSink, NullSink
from review_bot.findings import Finding, Review, Severity, rank_findings
from review_bot.github.checks import post_check_run
from review_bot.github.client import GitHubClient
from review_bot.github.posting import publish_review
from review_bot.github.pulls import (
    GITHUB_MAX_FILES,
    PullRequest,
    build_change,
    changed_since,
    fetch_files,
    fetch_pull,
    has_write_access,
    read_repo_config,
)
from review_bot.service.jobs import ReviewJob
from review_bot.service.metrics import ServiceMetrics
from review_bot.service.observe import reviewing
from review_bot.service.store import StateStore
from review_bot.tracing import Tracing

__all__ = [
    "PR_STATE_TTL_S",
    "JobBusy",
    "JobOutcome",
    "Reviewer",
    "RunnerDeps",
    "job_key",
    "run_job",
]

log = logging.getLogger(__name__)

Reviewer = Callable[[ChangeSet, ReviewConfig, EventSink], Awaitable[Review]]
"""One review of a change: in production ``Runtime.review`` of the process's runtime
(caching, resilience, agents, transcripts); tests fill the seam with a scripted reviewer."""

JobOutcome = Literal["posted", "already_posted", "skipped", "failed"]
PR_STATE_TTL_S = 30 * 24 * 3600.0  # the default of [retention] reviews_days
_SLOT_POLL_S = 1.0


@dataclass(frozen=True)
class RunnerDeps:
    """What a job needs; built once per process and shared by its jobs.

    ``events`` receives every review's events (resilience breaker transitions reach the
    metrics through it). ``tracing``: each job runs in a dequeue span continuing the trace
    its webhook request started (None: not traced). ``review_ttl_s``: how long a PR's
    review state (last head, findings) is kept (``[retention] reviews_days``).
    """

    config: ServiceConfig
    store: StateStore
    github: Callable[[int | None], GitHubClient]
    reviewer: Reviewer
    base_config: ReviewConfig
    metrics: ServiceMetrics
    events: EventSink = field(default_factory=NullSink)
    tracing: Tracing | None = None
    review_ttl_s: float = PR_STATE_TTL_S


def job_key(
    repo: str, number: int, head: str, config_hash: str, nonce: str = "", *, base: str = ""
) -> str:
    """The identity of one posted review: (repo, PR, head SHA, config hash[, command][, base]).

    The base SHA is part of it: a PR retargeted to another branch has a new diff to review.
    """
    blob = "\x1f".join((repo, str(number), head, config_hash, nonce, base))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _config_hash(config: ReviewConfig) -> str:
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]


async def run_job(job: ReviewJob, deps: RunnerDeps) -> JobOutcome:
    """Run ``job``; raises :class:`JobBusy` when it should be retried later."""
    started = time.monotonic()
    with reviewing(job, deps.tracing):  # the job's log line carries its trace id
        async with deps.github(job.installation_id) as gh:
            outcome, review = await _run(job, deps, gh)
        stats = review.stats if review else None
        deps.metrics.job_finished(outcome, time.monotonic() - started, stats)
        log.info(
            "job %s %s#%s: %s", job.delivery_id, job.repo, job.number, outcome,
            extra={"delivery_id": job.delivery_id, "review_id": job.delivery_id},
        )  # fmt: skip
    return outcome


async def _run(
    job: ReviewJob, deps: RunnerDeps, gh: GitHubClient
) -> tuple[JobOutcome, Review | None]:
    cfg = deps.config
    if job.trigger == "command" and not (
        job.requested_by and await has_write_access(gh, job.repo, job.requested_by)
    ):
        log.info(
            "%s#%s: /review by %r without write access", job.repo, job.number, job.requested_by
        )
        return "skipped", None
    pr = await fetch_pull(gh, job.repo, job.number)
    if pr.state != "open" or (pr.draft and job.trigger == "push" and not cfg.review_drafts):
        return "skipped", None
    if job.trigger != "command" and job.head_sha and job.head_sha != pr.head_sha:
        return "skipped", None  # the head moved on; its own delivery reviews it
    fork = pr.fork or job.fork
    if fork and cfg.fork_policy == "skip":
        log.info("%s#%s: from a fork, not reviewed (fork policy skip)", job.repo, job.number)
        return "skipped", None
    review_config = await read_repo_config(gh, job.repo, pr.base_sha, deps.base_config)
    if fork:  # no model reads a fork's text: nothing it plants can reach our credentials
        review_config = review_config.model_copy(update={"tools_only": True})
    config_hash = _config_hash(review_config)
    nonce = job.delivery_id if job.trigger in ("command", "rerun") else ""
    key = job_key(job.repo, job.number, pr.head_sha, config_hash, nonce, base=pr.base_sha)
    if await deps.store.get(f"posted:{key}") is not None:
        return "already_posted", None
    lease = float(cfg.visibility_timeout_s)  # the broker deems the holder dead after this too
    if not await deps.store.claim(f"lock:{key}", lease):
        raise JobBusy(f"{job.repo}#{job.number}: job {key} is being reviewed by another worker")
    slot_name = f"repo:{job.repo}"
    try:
        token = await _acquire_slot(deps, slot_name, lease)
        try:
            review = await _review_and_post(
                job, deps, gh, pr, review_config=review_config, config_hash=config_hash, key=key
            )
        finally:
            await deps.store.release_slot(slot_name, token)
    finally:
        await deps.store.delete(f"lock:{key}")
    return ("posted" if review else "already_posted"), review


async def _acquire_slot(deps: RunnerDeps, name: str, lease: float) -> str:
    deadline = time.monotonic() + deps.config.review_timeout_s
    while True:
        token = await deps.store.acquire_slot(name, deps.config.repo_concurrency, lease)
        if token is not None:
            return token
        if time.monotonic() > deadline:
            raise JobBusy(f"{name}: all {deps.config.repo_concurrency} review slots stayed busy")
        await asyncio.sleep(_SLOT_POLL_S)


async def _review_and_post(
    job: ReviewJob,
    deps: RunnerDeps,
    gh: GitHubClient,
    pr: PullRequest,
    *,
    review_config: ReviewConfig,
    config_hash: str,
    key: str,
) -> Review | None:
    head = pr.head_sha
    files = await fetch_files(gh, job.repo, job.number)
    full = await build_change(gh, job.repo, pr, files, review_config.limits)
    state_key = f"pr:{job.repo}#{job.number}"
    previous = await _previous_state(deps.store, state_key, config_hash)
    change, carried = full, []
    if previous is not None and job.trigger == "push" and job.action != "edited":
        since = await changed_since(gh, job.repo, previous["head"], head)
        if since is not None:
            change = full.model_copy(
                update={"files": tuple(f for f in full.files if f.path in since)}
            )
            present = {f.path for f in full.files}
            carried = [
                Finding.model_validate(item)
                for item in previous["findings"]
                if item["path"] in present and item["path"] not in since
            ]
    review = await deps.reviewer(change, review_config, deps.events)
    if review.transcript:
        log.info("%s#%s at %s: transcript %s", job.repo, job.number, head[:12], review.transcript)
    if carried:
        review = _with_carried(review, carried, previous["head"] if previous else "")
    if pr.changed_files > GITHUB_MAX_FILES:
        review = review.model_copy(
            update={
                "summary": review.summary + f" Only the first {GITHUB_MAX_FILES} of "
                f"{pr.changed_files} files were reviewed (GitHub lists no more)."
            }
        )
    posted = await _publish(
        job,
        deps,
        gh,
        review,
        full,
        fail_on=review_config.fail_on,
        min_confidence=review_config.min_confidence,
        key=key,
    )
    await deps.store.put(f"posted:{key}", "1", deps.config.delivery_ttl_s)
    state = {
        "head": head,
        "config_hash": config_hash,
        "findings": [f.model_dump(mode="json") for f in review.findings],
    }
    await deps.store.put(state_key, json.dumps(state), deps.review_ttl_s)
    return review if posted else None


async def _publish(
    job: ReviewJob,
    deps: RunnerDeps,
    gh: GitHubClient,
    review: Review,
    full: ChangeSet,
    *,
    fail_on: Severity,
    min_confidence: float = 0.0,
    key: str,
) -> bool:
    """Post the review and its check run; False when this job's review was already there."""
    where = "the check run's annotations" if gh.is_app else "the review's JSON or SARIF output"
    result = await publish_review(
        gh,
        job.repo,
        job.number,
        review,
        full,
        key=key,
        bot_login=await gh.bot_login(),
        overflow_where=where,
    )
    if result.already_posted:
        return False
    await post_check_run(
        gh,
        job.repo,
        full.head or "",
        review,
        name=deps.config.check_run_name,
        fail_on=fail_on,
        min_confidence=min_confidence,
        external_id=key,
    )
    return True


async def _previous_state(store: StateStore, key: str, config_hash: str) -> dict[str, Any] | None:
    raw = await store.get(key)
    if raw is None:
        return None
    try:
        state = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(state, dict) or state.get("config_hash") != config_hash:
        return None  # another config reviews differently: start over
    return state


def _with_carried(review: Review, carried: list[Finding], old_head: str) -> Review:
    seen = {f.fingerprint for f in review.findings}
    extra = [f for f in carried if f.fingerprint not in seen]
    note = (
        f" Incremental review: files unchanged since {old_head[:12]} were not reviewed again; "
        f"{len(extra)} earlier finding(s) on them still apply."
    )
    return review.model_copy(
        update={
            "findings": tuple(rank_findings([*review.findings, *extra])),
            "summary": review.summary + note,
        }
    )

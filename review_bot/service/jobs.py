"""Webhook deliveries → review jobs (pure: no I/O, so every branch is easy to test).

A job names the PR, not its content: the worker reads the PR, its files and the base
branch's config itself, so a job stays small and a delayed job reviews the current head.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "PRIORITY_COMMAND",
    "PRIORITY_PUSH",
    "REVIEW_ACTIONS",
    "Ignored",
    "ReviewJob",
    "job_from_event",
]

# Celery's Redis transport pops lower numbers first: commands jump ahead of pushes.
PRIORITY_COMMAND = 0
PRIORITY_PUSH = 5
REVIEW_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
RERUN_EVENTS = frozenset({"check_run", "check_suite"})
_COMMAND = re.compile(r"^\s*/review\b", re.MULTILINE)
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


class ReviewJob(BaseModel):
    """One review to run: which PR, why, and how urgent.

    ``head_sha`` is None for ``/review`` commands (the comment event does not carry it);
    ``before_sha`` is the previous head on ``synchronize`` (for incremental review).
    ``rerun`` jobs come from a check run's "Re-run" and post afresh like a command.
    ``fork``: the delivery said the head lives in another repository (the worker checks the
    PR itself too). ``attempt``/``deferred_s``: how often and for how long in total the job
    was rescheduled (rate limits, GitHub failures), which bounds it. ``trace``: the W3C
    trace-context headers (``traceparent``, ``tracestate``) of the span that queued the job,
    so the worker's spans continue the webhook's trace (empty when tracing is off).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery_id: str
    trigger: Literal["push", "command", "rerun"]
    repo: str = Field(pattern=_REPO.pattern)
    number: int = Field(gt=0)
    action: str
    head_sha: str | None = None
    before_sha: str | None = None
    installation_id: int | None = None
    requested_by: str | None = None
    priority: int = PRIORITY_PUSH
    fork: bool = False
    attempt: int = Field(0, ge=0)
    deferred_s: float = Field(0.0, ge=0)
    trace: dict[str, str] = Field(default_factory=dict, max_length=4)

    def dedup_key(self) -> str | None:
        """(repo, PR, head) for pushes: a second delivery for the same head is not queued."""
        if self.trigger != "push" or self.head_sha is None:
            return None
        return _digest("job", self.repo, str(self.number), self.head_sha)


class Ignored(BaseModel):
    """A delivery we acknowledge without reviewing, with the reason (for logs and metrics)."""

    model_config = ConfigDict(frozen=True)

    reason: str


def job_from_event(
    event: str,
    delivery_id: str,
    payload: Any,
    *,
    review_drafts: bool = False,
    require_installation: bool = False,
    skip_forks: bool = False,
) -> ReviewJob | Ignored:
    """The job a webhook delivery asks for, or why it asks for none.

    Args:
        require_installation: the service is a GitHub App: an event without an installation
            (the App is not installed on the repository) is ignored before it is queued.
        skip_forks: the fork policy is ``skip``: pull requests from forks are not reviewed.

    Raises:
        ValueError: the payload lacks a field an event of this kind always has.
    """
    if not isinstance(payload, dict):
        raise ValueError("payload is not a JSON object")
    if event == "ping":
        return Ignored(reason="ping")
    if event == "pull_request":
        result = _pull_request(delivery_id, payload, review_drafts)
    elif event == "issue_comment":
        result = _issue_comment(delivery_id, payload)
    elif event in RERUN_EVENTS:
        result = _rerun(event, delivery_id, payload)
    else:
        return Ignored(reason=f"event {event[:40]!r} is not reviewed")
    if isinstance(result, ReviewJob):
        if require_installation and result.installation_id is None:
            return Ignored(reason=f"the App is not installed on {result.repo} (no installation)")
        if skip_forks and result.fork:
            return Ignored(reason="pull request from a fork (REVIEW_BOT_FORK_POLICY=skip)")
    return result


def _pull_request(
    delivery_id: str, payload: dict[str, Any], review_drafts: bool
) -> ReviewJob | Ignored:
    action = str(payload.get("action", ""))
    changes = payload.get("changes")
    retarget = (  # the base branch changed: a new diff, a new review
        action == "edited" and isinstance(changes, dict) and isinstance(changes.get("base"), dict)
    )
    if action not in REVIEW_ACTIONS and not retarget:
        return Ignored(reason=f"pull_request action {action[:40]!r} is not reviewed")
    pr = _dict(payload, "pull_request")
    if pr.get("draft") and not review_drafts:
        return Ignored(reason="draft pull request (set REVIEW_BOT_REVIEW_DRAFTS to review drafts)")
    if pr.get("state", "open") != "open":
        return Ignored(reason="pull request is not open")
    head = _dict(pr, "head").get("sha")
    before = payload.get("before") if action == "synchronize" else None
    return ReviewJob(
        delivery_id=delivery_id,
        trigger="push",
        repo=_repo(payload),
        number=_int(pr.get("number", payload.get("number"))),
        action=action,
        head_sha=_sha(head),
        before_sha=_sha(before) if isinstance(before, str) and _SHA.match(before) else None,
        installation_id=_installation(payload),
        priority=PRIORITY_PUSH,
        fork=_is_fork(pr, _repo(payload)),
    )


def _rerun(event: str, delivery_id: str, payload: dict[str, Any]) -> ReviewJob | Ignored:
    """A check run's (or suite's) "Re-run": review the PR it belongs to again."""
    if payload.get("action") != "rerequested":
        return Ignored(reason=f"{event} action is not rerequested")
    check = _dict(payload, event)
    pulls = check.get("pull_requests")
    if not isinstance(pulls, list) or not pulls or not isinstance(pulls[0], dict):
        return Ignored(reason=f"{event} belongs to no pull request of this repository")
    pr = pulls[0]
    head = check.get("head_sha", _dict(pr, "head").get("sha"))
    return ReviewJob(
        delivery_id=delivery_id,
        trigger="rerun",
        repo=_repo(payload),
        number=_int(pr.get("number")),
        action="rerequested",
        head_sha=_sha(head),
        installation_id=_installation(payload),
        priority=PRIORITY_COMMAND,
        fork=_is_fork(pr, _repo(payload)),
    )


def _is_fork(pr: dict[str, Any], repo: str) -> bool:
    """True when the PR's head repository is not the base one (None: a deleted fork)."""
    head = pr.get("head")
    if not isinstance(head, dict) or "repo" not in head:
        return False
    head_repo = head["repo"]
    if not isinstance(head_repo, dict):
        return True
    return head_repo.get("full_name") != repo


def _issue_comment(delivery_id: str, payload: dict[str, Any]) -> ReviewJob | Ignored:
    if payload.get("action") != "created":
        return Ignored(reason="comment was not created")
    issue = _dict(payload, "issue")
    if not isinstance(issue.get("pull_request"), dict):
        return Ignored(reason="comment is on an issue, not a pull request")
    comment = _dict(payload, "comment")
    body = comment.get("body")
    if not isinstance(body, str) or not _COMMAND.search(body):
        return Ignored(reason="comment has no /review command")
    login = _dict(comment, "user").get("login")
    if not isinstance(login, str) or not login:
        raise ValueError("comment.user.login is missing")
    # write access is checked by the worker through the API: the webhook must answer fast
    return ReviewJob(
        delivery_id=delivery_id,
        trigger="command",
        repo=_repo(payload),
        number=_int(issue.get("number")),
        action="review_command",
        installation_id=_installation(payload),
        requested_by=login,
        priority=PRIORITY_COMMAND,
    )


def _dict(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"{key} is missing or not an object")
    return value


def _repo(payload: dict[str, Any]) -> str:
    name = _dict(payload, "repository").get("full_name")
    if not isinstance(name, str) or not _REPO.match(name):
        raise ValueError("repository.full_name is missing or malformed")
    return name


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"expected a positive number, got {type(value).__name__}")
    return value


def _sha(value: object) -> str:
    if not isinstance(value, str) or not _SHA.match(value):
        raise ValueError("head sha is missing or not 40 hex digits")
    return value


def _installation(payload: dict[str, Any]) -> int | None:
    inst = payload.get("installation")
    if isinstance(inst, dict) and isinstance(inst.get("id"), int):
        return int(inst["id"])
    return None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]

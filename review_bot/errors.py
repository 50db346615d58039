"""One exception tree for the whole package.

Every error we raise on purpose derives from :class:`ReviewError`, so each entry point
(CLI, worker, HTTP) has exactly one place that maps errors to exit codes or statuses::

    ReviewError
    ├── ConfigError                 bad configuration value or file
    ├── InputError                  bad change input: malformed diff, missing repo, unknown ref
    ├── ToolError                   a static-analysis tool could not give a usable result
    │   ├── ToolMissing
    │   ├── ToolTimeout
    │   └── ToolOutputError
    ├── ModelError                  the language model call failed
    │   ├── RateLimited             429 (retryable; carries Retry-After)
    │   ├── ModelUnavailable        5xx, timeouts, connection errors (retryable)
    │   ├── ModelRejected           400/401/403/quota/context length (never retried)
    │   └── InvalidModelOutput      the answer did not fit the expected schema
    ├── DependencyUnavailable       a resilience policy refused or gave up
    │   ├── CircuitOpen
    │   ├── BulkheadFull
    │   │   └── JobBusy             another worker holds the job / no free repo slot
    │   ├── DeadlineExceeded
    │   └── BudgetExhausted         the review's token or turn budget is spent
    ├── CacheError
    ├── TranscriptError
    │   ├── TranscriptTampered
    │   └── ReplayMismatch
    ├── GitHubError
    │   └── GitHubStatusError       an error status (``status``, ``detail``)
    │       ├── GitHubWriteUncertain    a POST may have taken effect
    │       └── GitHubRateLimited       limited longer than we wait (``retry_after``)
    └── ViewerDropped               a live viewer fell too far behind (it reconnects)

The modules that raise an error re-export it under its old import path
(``review_bot.llm.budget.BudgetExhausted``, ``review_bot.service.runner.JobBusy``,
``review_bot.github.client.GitHubStatusError`` ...).
"""

from __future__ import annotations

__all__ = [
    "BudgetExhausted",
    "BulkheadFull",
    "CacheError",
    "CircuitOpen",
    "ConfigError",
    "DeadlineExceeded",
    "DependencyUnavailable",
    "GitHubError",
    "GitHubRateLimited",
    "GitHubStatusError",
    "GitHubWriteUncertain",
    "InputError",
    "InvalidModelOutput",
    "JobBusy",
    "ModelError",
    "ModelRejected",
    "ModelUnavailable",
    "RateLimited",
    "ReplayMismatch",
    "ReviewError",
    "ToolError",
    "ToolMissing",
    "ToolOutputError",
    "ToolTimeout",
    "TranscriptError",
    "TranscriptTampered",
    "ViewerDropped",
]


class ReviewError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(ReviewError):
    """A configuration value or file is invalid; the message names it and the fix."""


class InputError(ReviewError):
    """The change given to review is unusable (bad diff, missing repo, unknown ref)."""


class ToolError(ReviewError):
    """A static-analysis tool did not give a usable result."""


class ToolMissing(ToolError):
    """The tool's executable is not installed."""


class ToolTimeout(ToolError):
    """The tool ran past its time limit and was killed."""


class ToolOutputError(ToolError):
    """The tool crashed or printed something we cannot parse."""


class ModelError(ReviewError):
    """A language-model call failed."""


class RateLimited(ModelError):
    """The provider answered 429; ``retry_after`` is its hint in seconds, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelUnavailable(ModelError):
    """5xx, timeout or connection failure: worth retrying."""


class ModelRejected(ModelError):
    """The provider refused the request (auth, quota, context length, bad input): no retry."""


class InvalidModelOutput(ModelError):
    """The model's answer did not match the expected structured output."""


class DependencyUnavailable(ReviewError):
    """A resilience policy refused the call or gave up on it."""


class CircuitOpen(DependencyUnavailable):
    """The dependency's circuit breaker is open: failing fast without a call."""


class BulkheadFull(DependencyUnavailable):
    """No concurrency slot became free within the bulkhead's wait bound."""


class JobBusy(BulkheadFull):
    """Another worker holds this job, or the repository has no free review slot: retry later."""


class DeadlineExceeded(DependencyUnavailable):
    """The review's time budget does not allow this call (or ran out during it)."""


class BudgetExhausted(DependencyUnavailable):
    """The review's token or turn budget is spent: no further model calls are made."""


class CacheError(ReviewError):
    """The cache backend failed; callers treat it as a miss."""


class TranscriptError(ReviewError):
    """A transcript could not be written, read or replayed."""


class TranscriptTampered(TranscriptError):
    """The transcript's hash chain is broken at ``record`` (sequence number)."""

    def __init__(self, message: str, record: int | None = None) -> None:
        super().__init__(message)
        self.record = record


class ReplayMismatch(TranscriptError):
    """Replay made a request the transcript does not hold, or produced a different review."""


class GitHubError(ReviewError):
    """A GitHub API call failed."""


class GitHubStatusError(GitHubError):
    """GitHub answered with an error status (kept on ``status`` for callers to branch on).

    ``detail`` is GitHub's message and its ``errors`` list as text (what a 422 was about).
    """

    def __init__(self, message: str, status: int, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class GitHubWriteUncertain(GitHubStatusError):
    """A POST got a 5xx or no answer: it may have taken effect. ``status`` 0: no answer."""


class GitHubRateLimited(GitHubStatusError):
    """Rate limited for longer than we are willing to wait; ``retry_after`` in seconds."""

    def __init__(self, message: str, status: int, retry_after: float) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class ViewerDropped(ReviewError):
    """A live viewer of a review's events fell too far behind; it should reconnect with its
    ``Last-Event-ID``."""

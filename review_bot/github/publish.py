"""What the bot writes on a pull request: the review's body and its inline comments.

Each inline comment carries its finding's fingerprint in a hidden HTML comment, the review
body carries the job's key: a re-run of the same job sees the key and posts nothing, and a
re-review finds its comments by fingerprint. Posting them is ``github/posting.py``'s job
(batches, limits, adoption), the check run ``github/checks.py``'s.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from review_bot.change import ChangeSet
from review_bot.findings import Finding, Review

__all__ = ["PublishResult", "comment_body", "review_body"]

log = logging.getLogger(__name__)

_REVIEW_TAG = "<!-- review-bot:review -->"
_KEY = re.compile(r"<!-- review-bot:key=([0-9a-f]+) -->")
_FP = re.compile(r"<!-- review-bot:fp=([0-9a-f]+)( resolved)? -->")
_ICON = {"critical": "🛑", "high": "🔴", "medium": "🟠", "low": "🟡", "info": "🔵"}


class PublishResult(BaseModel):
    """What publishing did (``already_posted``: the job's key was found, nothing sent)."""

    model_config = ConfigDict(frozen=True)

    review_id: int | None = None
    already_posted: bool = False
    created: int = 0
    updated: int = 0
    resolved: int = 0
    in_summary: int = 0


def comment_body(finding: Finding) -> str:
    """The inline comment for a finding, with its fingerprint hidden at the top."""
    sources = ", ".join(finding.sources)
    lines = [
        f"<!-- review-bot:fp={finding.fingerprint} -->",
        f"{_ICON[finding.severity]} **{finding.severity}** · {finding.category} · "
        f"`{finding.rule_id}`",
        "",
        finding.message,
    ]
    if finding.suggestion:
        fence = "````" if "```" in finding.suggestion else "```"
        lines += ["", f"{fence}suggestion", finding.suggestion.rstrip("\n"), fence]
    lines += ["", f"<sub>{sources}</sub>"]
    return "\n".join(lines)


def review_body(review: Review, key: str, outside: Iterable[Finding]) -> str:
    """The review's summary, listing findings that could not be placed on a diff line."""
    lines = [_REVIEW_TAG, "### Review Bot", "", review.summary]
    rest = list(outside)
    if rest:
        lines += ["", "**Findings outside the diff's commentable lines:**", ""]
        lines += [
            f"- {_ICON[f.severity]} `{f.path}:{f.line}` **{f.severity}** `{f.rule_id}`: {f.message}"
            for f in rest
        ]
    if review.skipped:
        lines += ["", "<details><summary>Not reviewed</summary>", ""]
        lines += [f"- {s.kind} `{s.name}`: {s.reason}" for s in review.skipped]
        lines += ["", "</details>"]
    if review.partial:
        failed = ", ".join(sorted({f.component for f in review.failures}))
        lines += ["", f"_Partial review: {failed} failed._"]
    lines += ["", f"<!-- review-bot:key={key} -->"]
    return "\n".join(lines)


def _placement(finding: Finding, diff: ChangeSet) -> dict[str, Any] | None:
    """Where GitHub accepts the comment (RIGHT side lines shown in the diff), or None."""
    f = diff.file(finding.path)
    if f is None:
        return None
    valid = f.added_lines | f.context_lines
    if finding.line not in valid:
        return None
    spot: dict[str, Any] = {"path": finding.path, "side": "RIGHT", "line": finding.line}
    if finding.end_line > finding.line and all(
        n in valid for n in range(finding.line, finding.end_line + 1)
    ):
        spot.update(start_line=finding.line, start_side="RIGHT", line=finding.end_line)
    return spot

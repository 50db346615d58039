"""What the bot writes on a pull request: the review's body and its inline comments.

Each inline comment carries its finding's fingerprint in a hidden HTML comment, the review
body carries the job's key: a re-run of the same job sees the key and posts nothing, and a
re-review finds its comments by fingerprint. Posting them is ``github/posting.py``'s job
(batches, limits, adoption), the check run ``github/checks.py``'s.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from review_bot.change import ChangeSet
from review_bot.findings import Finding, Review
from review_bot.render._escape import code, fence, inline

__all__ = ["PublishResult", "comment_body", "committable_body", "review_body"]

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


def comment_body(finding: Finding, *, committable: bool = True) -> str:
    """The inline comment for a finding, with its fingerprint hidden at the top.

    Everything from a tool or a model is escaped (no HTML, headings, tables or mentions).
    The suggestion is a committable ```` ```suggestion ```` block only when the comment spans
    exactly the finding's lines (``committable``); otherwise it is shown as plain code.
    """
    sources = ", ".join(finding.sources)
    lines = [
        f"<!-- review-bot:fp={finding.fingerprint} -->",
        f"{_ICON[finding.severity]} **{finding.severity}** · {finding.category} · "
        f"{code(finding.rule_id)}",
        "",
        inline(finding.message),
    ]
    lines += _suggestion_block(finding, committable)
    lines += ["", f"<sub>{inline(sources)}</sub>"]
    return "\n".join(lines)


def _suggestion_block(finding: Finding, committable: bool) -> list[str]:
    if finding.suggestion is None:
        return []
    replacement = finding.suggestion.splitlines()
    if committable:
        return ["", *fence(replacement, "suggestion")]
    where = f"lines {finding.line}-{finding.end_line}"
    return ["", f"Suggested replacement for {where}:", "", *fence(replacement)]


def _covers(finding: Finding, spot: Mapping[str, Any]) -> bool:
    """True when the comment at ``spot`` spans exactly the finding's lines."""
    return (spot.get("start_line", spot["line"]), spot["line"]) == (finding.line, finding.end_line)


def committable_body(spot: Mapping[str, Any]) -> Callable[[Finding], str]:
    """:func:`comment_body` for a comment placed at ``spot``: the suggestion is committable
    only when the comment spans exactly the finding's lines (a range re-anchored on its last
    line alone would replace that line with the whole suggestion)."""

    def render(finding: Finding) -> str:
        return comment_body(finding, committable=_covers(finding, spot))

    return render


def review_body(review: Review, key: str, outside: Iterable[Finding]) -> str:
    """The review's summary, listing findings that could not be placed on a diff line."""
    lines = [_REVIEW_TAG, "### Review Bot", "", inline(review.summary)]
    rest = list(outside)
    if rest:
        lines += ["", "**Findings outside the diff's commentable lines:**", ""]
        lines += [
            f"- {_ICON[f.severity]} {code(f'{f.path}:{f.line}')} **{f.severity}** "
            f"{code(f.rule_id)}: {inline(f.message)}"
            for f in rest
        ]
    if review.skipped:
        lines += ["", "<details><summary>Not reviewed</summary>", ""]
        lines += [f"- {s.kind} {code(s.name)}: {inline(s.reason)}" for s in review.skipped]
        lines += ["", "</details>"]
    if review.partial:
        failed = ", ".join(sorted({f.component for f in review.failures}))
        lines += ["", f"_Partial review: {inline(failed)} failed._"]
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

"""GitHub's size limits, and bodies cut to fit them with a visible "N more" note.

GitHub refuses (422) a review, comment or issue body over 65,536 characters, a check run's
``output.summary`` or ``output.text`` over 65,535, and takes at most 50 annotations per check
run request. What does not fit is never dropped silently: the text says how many more there
are and where they are (the check run's annotations, the SARIF upload).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from review_bot.findings import Finding, Review

__all__ = [
    "ANNOTATIONS_PER_REQUEST",
    "BODY_LIMIT",
    "CHECK_TEXT_LIMIT",
    "COMMENTS_PER_REVIEW",
    "fit_comment",
    "fit_review",
    "fit_text",
]

BODY_LIMIT = 65_536
CHECK_TEXT_LIMIT = 65_535
ANNOTATIONS_PER_REQUEST = 50
# several projects see reviews with more than ~30-40 inline comments fail or time out
COMMENTS_PER_REVIEW = 30
_MARGIN = 512  # room for the overflow note itself

T = TypeVar("T")


def _largest_fit(items: Sequence[T], size: Callable[[int], int], limit: int) -> int:
    """The largest n such that ``size(n) <= limit`` (size grows with n); binary search."""
    lo, hi = 0, len(items)
    if size(hi) <= limit:
        return hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if size(mid) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def fit_review(
    review: Review,
    outside: Sequence[Finding],
    render: Callable[[Review, Sequence[Finding]], str],
    *,
    where: str,
    limit: int = BODY_LIMIT,
) -> str:
    """``render(review, outside)`` cut to ``limit`` characters: the listed findings and
    skipped files are shortened and the summary says how many more are ``where``."""
    body = render(review, outside)
    if len(body) <= limit:
        return body
    budget = limit - _MARGIN
    keep_skips = _largest_fit(
        review.skipped,
        lambda n: len(render(review.model_copy(update={"skipped": review.skipped[:n]}), [])),
        budget // 2 if outside else budget,
    )
    trimmed = review.model_copy(update={"skipped": review.skipped[:keep_skips]})
    keep_out = _largest_fit(outside, lambda n: len(render(trimmed, outside[:n])), budget)
    notes = []
    if keep_out < len(outside):
        notes.append(f"{len(outside) - keep_out} more finding(s) outside the diff")
    if keep_skips < len(review.skipped):
        notes.append(f"{len(review.skipped) - keep_skips} more file(s) not reviewed")
    note = f"\n\n**Not shown here (GitHub's size limit): {'; '.join(notes)}: see {where}.**"
    final = trimmed.model_copy(update={"summary": trimmed.summary + note})
    body = render(final, outside[:keep_out])
    if len(body) > limit:  # the summary alone is too long: cut it, keep the markers at the end
        room = max(len(final.summary) - (len(body) - limit) - _MARGIN, 0)
        final = final.model_copy(update={"summary": fit_text(final.summary, room, where)})
        body = render(final, outside[:keep_out])
    return body


def fit_comment(finding: Finding, render: Callable[[Finding], str], limit: int = BODY_LIMIT) -> str:
    """The inline comment for ``finding`` within ``limit``: a suggestion that does not fit is
    dropped first (a cut suggestion would be wrong code), then the message is shortened."""
    body = render(finding)
    if len(body) <= limit:
        return body
    bare = finding.model_copy(update={"suggestion": None})
    body = render(bare)
    if len(body) <= limit:
        return body
    over = len(body) - limit + _MARGIN
    message = bare.message[: max(len(bare.message) - over, 0)] + " … (cut: too long for GitHub)"
    return render(bare.model_copy(update={"message": message}))


def fit_text(text: str, limit: int, where: str) -> str:
    """``text`` cut at a line boundary to ``limit`` characters, saying so."""
    if len(text) <= limit:
        return text
    if limit < 200:
        return text[:limit]
    note = f"\n\n… cut at GitHub's {limit:,}-character limit; the rest is in {where}."
    head = text[: limit - len(note)]
    cut = head.rfind("\n")
    return (head[:cut] if cut > 0 else head) + note

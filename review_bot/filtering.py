"""Keep findings to the change: reviewdog's filter modes.

- ``added``: only lines the change added or modified (the default);
- ``diff_context``: also the context lines shown around them in the diff;
- ``file``: anywhere in a file the change touched;
- ``nofilter``: everything, even other files.
"""

from __future__ import annotations

from collections.abc import Iterable

from review_bot.change import ChangeSet
from review_bot.config.models import FilterMode
from review_bot.findings import Finding

__all__ = ["in_change", "split_by_filter"]


def in_change(finding: Finding, change: ChangeSet, mode: FilterMode) -> bool:
    """True when any line of the finding's range passes ``mode``."""
    if mode == "nofilter":
        return True
    file = change.file(finding.path)
    if file is None:
        return False
    if mode == "file":
        return True
    wanted = {"added"} if mode == "added" else {"added", "context"}
    return any(file.line_kind(line) in wanted for line in range(finding.line, finding.end_line + 1))


def split_by_filter(
    findings: Iterable[Finding], change: ChangeSet, mode: FilterMode
) -> tuple[list[Finding], list[Finding]]:
    """(kept, dropped) under ``mode``."""
    kept: list[Finding] = []
    dropped: list[Finding] = []
    for finding in findings:
        (kept if in_change(finding, change, mode) else dropped).append(finding)
    return kept, dropped

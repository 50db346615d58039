"""Check a coder patch before it becomes a suggestion.

A patch is offered only when, applied to a copy of the file, it (1) changes lines within
``SLACK`` lines of the finding, (2) still parses, (3) clears the finding when a tool reported
it and (4) makes none of the tools that reported it report anything new
(:func:`review_bot.suggestions.verify_edit`). Only those tools re-run, on the patched file;
their findings on the file as it is come from the review's :class:`Baselines` (one run per
file, served by the tool-output cache when the tools phase stored it).
The suggestion is GitHub's: the replacement text for exactly the finding's lines. A patch
whose range differs from the finding's is re-anchored: the replacement is widened with the
file's own lines to cover the finding, and the finding's range widens to what the patch
changed when those lines are all shown in the diff; otherwise it is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from review_bot.agents.schemas import Patch
from review_bot.change import FileChange
from review_bot.findings import Finding
from review_bot.suggestions import (
    Anchored,
    Baselines,
    FileAnalyzer,
    anchor,
    replace_lines,
    verify_edit,
)

__all__ = ["FixCheck", "apply_patch", "check_fix", "commentable"]


@dataclass(frozen=True)
class FixCheck:
    """The verdict on one patch: the suggestion to offer, or why there is none."""

    suggestion: Anchored | None
    reason: str


def apply_patch(content: str, patch: Patch) -> str:
    """``content`` with lines ``start_line``..``end_line`` replaced by the patch's text."""
    return replace_lines(content, patch.start_line, patch.end_line, patch.replacement)


def commentable(file: FileChange, finding: Finding, anchored: Anchored) -> bool:
    """True when the suggestion keeps the finding's range, or every line of its wider range
    is shown in the diff (so one multi-line GitHub comment can carry it)."""
    if (anchored.line, anchored.end_line) == (finding.line, finding.end_line):
        return True
    shown = file.added_lines | file.context_lines
    return all(n in shown for n in range(anchored.line, anchored.end_line + 1))


async def check_fix(
    finding: Finding,
    patch: Patch,
    file: FileChange,
    analyzer: FileAnalyzer | None,
    baseline: Baselines | None = None,
) -> FixCheck:
    """Decide whether ``patch`` fixes ``finding`` in ``file`` cleanly.

    Beyond the parse check only the analyzers that reported ``finding`` run (none for an
    agent's own finding). ``baseline`` memoises their findings on the unpatched file across
    patches.
    """
    if file.new_content is None or patch.path != file.path:
        return FixCheck(None, f"the patch targets {patch.path!r}, not {finding.path!r}")
    total = len(file.new_content.splitlines())
    if patch.end_line > total:
        return FixCheck(None, f"the patch ends at line {patch.end_line}, the file has {total}")
    patched = apply_patch(file.new_content, patch)
    if patched == file.new_content:
        return FixCheck(None, "the patch changes nothing")
    anchored = anchor(file.new_content, patched, finding.line, finding.end_line)
    if anchored is None:
        return FixCheck(None, "the patch does not touch the finding's lines")
    if not commentable(file, finding, anchored):
        return FixCheck(
            None,
            f"the patch changes lines {anchored.line}-{anchored.end_line}, beyond the finding's "
            f"{finding.line}-{finding.end_line} and outside the diff",
        )
    problem = await verify_edit(finding, file, patched, analyzer, baseline, only_reporting=True)
    if problem:
        return FixCheck(None, problem)
    reran = analyzer is not None and any(s.startswith("tool:") for s in finding.sources)
    return FixCheck(anchored, "verified" if reran else "parses; no analyzers to re-run")

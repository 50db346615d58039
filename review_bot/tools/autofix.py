"""The tools' own autofixes as suggestions, verified like a coder's patch.

ruff (``fix.edits``, safe fixes only), eslint (``fix.range``/``fix.text``) and semgrep
(``extra.fix`` over the match) describe their fixes as character edits of the file they saw.
:func:`suggestion_from_edits` turns them into GitHub's form: the replacement for exactly the
finding's lines (an edit that reaches other lines is dropped, never widened: a tool finding's
range is the tool's). :func:`verify_tool_suggestions` then keeps a suggestion only when
:func:`review_bot.suggestions.verify_edit` passes (parses, the re-run tool clears the finding,
nothing new from that tool: re-running every analyzer per autofix would cost a semgrep run
each), so an autofix reaches the reader through the same check as the coder's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from review_bot.change import ChangeSet
from review_bot.events import EventSink
from review_bot.findings import Finding
from review_bot.suggestions import (
    Baselines,
    Edit,
    FileAnalyzer,
    anchor,
    apply_edits,
    replace_lines,
    verify_edit,
)

__all__ = [
    "MAX_VERIFIED_AUTOFIXES",
    "offsets",
    "read_workdir_file",
    "suggestion_from_edits",
    "verify_tool_suggestions",
]

MAX_VERIFIED_AUTOFIXES = 20


def read_workdir_file(workdir: Path, path: str) -> str | None:
    """The text the tool saw of ``path`` (None when it cannot be read)."""
    try:
        return (workdir / path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def offsets(content: str) -> Callable[[int, int], int]:
    """``(row, column)`` (both 1-based, characters) → offset into ``content``."""
    starts = [0]
    for line in content.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def at(row: int, column: int) -> int:
        if not 1 <= row <= len(starts):
            raise ValueError(f"row {row} is outside the file")
        return starts[row - 1] + column - 1

    return at


def suggestion_from_edits(
    content: str | None, finding: Finding, edits: Sequence[Edit]
) -> str | None:
    """The replacement for the finding's lines that ``edits`` make, or None."""
    if content is None or not edits:
        return None
    patched = apply_edits(content, edits)
    if patched is None:
        return None
    anchored = anchor(content, patched, finding.line, finding.end_line, slack=0)
    if anchored is None or (anchored.line, anchored.end_line) != (finding.line, finding.end_line):
        return None
    return anchored.replacement


async def verify_tool_suggestions(
    change: ChangeSet,
    findings: Sequence[Finding],
    analyzer: FileAnalyzer,
    events: EventSink,
    limit: int = MAX_VERIFIED_AUTOFIXES,
) -> tuple[Finding, ...]:
    """``findings`` with each autofix suggestion kept only when it verifies.

    Files are checked concurrently, one file's fixes in order (they share its baseline run);
    past ``limit`` suggestions the rest are dropped unchecked.
    """
    candidates = [i for i, f in enumerate(findings) if f.suggestion is not None]
    checked = set(candidates[:limit])
    by_path: dict[str, list[int]] = {}
    for i in candidates[:limit]:
        by_path.setdefault(findings[i].path, []).append(i)
    verdicts: dict[int, str | None] = {}

    async def one_file(path: str, indexes: list[int]) -> None:
        file = change.file(path)
        baseline = Baselines()
        for i in indexes:
            f = findings[i]
            if file is None or file.new_content is None or f.suggestion is None:
                verdicts[i] = "the file is not in the change"
                continue
            if f.end_line > len(file.new_content.splitlines()):
                verdicts[i] = "the fix is outside the file"
                continue
            patched = replace_lines(file.new_content, f.line, f.end_line, f.suggestion)
            verdicts[i] = await verify_edit(
                f, file, patched, analyzer, baseline, only_reporting=True
            )

    await asyncio.gather(*(one_file(p, ix) for p, ix in by_path.items()))
    out = []
    for i, f in enumerate(findings):
        if f.suggestion is None:
            out.append(f)
            continue
        reason = verdicts.get(i) if i in checked else f"over the cap of {limit} checked autofixes"
        events.emit(
            "tool.fix",
            path=f.path,
            line=f.line,
            rule_id=f.rule_id,
            accepted=reason is None,
            reason=reason or "verified",
        )
        out.append(f if reason is None else f.model_copy(update={"suggestion": None}))
    return tuple(out)

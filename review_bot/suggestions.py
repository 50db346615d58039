"""Suggestions with GitHub's semantics: replacement text for exactly a finding's lines.

``Finding.suggestion`` is the text that replaces lines ``line``..``end_line`` of the new file
(an empty string deletes them), which is what committing a GitHub ```` ```suggestion ````
block does. Everything that proposes an edit (a coder patch, a tool's own autofix as
character edits) is turned into the patched file first; :func:`anchor` then finds the lines the
edit really changed and widens them to cover the finding's range. An edit that reaches more
than ``slack`` lines beyond the finding is not offered.

:func:`verify_edit` is the one check every suggestion passes before it is offered: the patched
file parses, the tool that reported the finding no longer reports it, and no analyzer reports
anything new. Renderers show a suggestion as a diff with :func:`suggestion_diff`.
"""

from __future__ import annotations

import ast
import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from review_bot.change import ChangeSet, FileChange
from review_bot.errors import ToolError
from review_bot.findings import Finding

__all__ = [
    "Anchored",
    "Baselines",
    "Edit",
    "FileAnalyzer",
    "anchor",
    "apply_edits",
    "replace_lines",
    "suggestion_diff",
    "verify_edit",
]

SLACK = 3


class FileAnalyzer(Protocol):
    """Runs one named analyzer on one file of the change (possibly patched)."""

    def available(self, file: FileChange) -> Sequence[str]:
        """Names of the analyzers that apply to ``file`` and are installed."""

    async def analyze(self, name: str, file: FileChange) -> Sequence[Finding]:
        """Findings of analyzer ``name`` on ``file``; raises ToolError when it cannot run."""


@dataclass(frozen=True)
class Edit:
    """Replace characters ``start``..``end`` (0-based offsets into the text) by ``text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Anchored:
    """A suggestion for lines ``line``..``end_line``: the text replacing exactly them."""

    line: int
    end_line: int
    replacement: str


def _newline(lines: Sequence[str]) -> str:
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def replace_lines(content: str, line: int, end_line: int, replacement: str) -> str:
    """``content`` with lines ``line``..``end_line`` replaced, as committing a suggestion does.

    ``replacement`` is read as lines (``splitlines``; a final newline is optional), so
    ``""`` deletes the lines and ``"\n"`` leaves one empty line.
    """
    lines = content.splitlines(keepends=True)
    newline = _newline(lines)
    new = [text + newline for text in replacement.splitlines()]
    tail_had_newline = end_line > len(lines) or lines[end_line - 1].endswith(("\n", "\r"))
    if new and not tail_had_newline:
        new[-1] = new[-1].rstrip("\r\n")
    return "".join(lines[: line - 1] + new + lines[end_line:])


def apply_edits(content: str, edits: Sequence[Edit]) -> str | None:
    """``content`` with character ``edits`` applied; None when they overlap or fall outside."""
    out = content
    last = len(content) + 1
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        if not 0 <= edit.start <= edit.end <= len(content) or edit.end > last:
            return None
        out = out[: edit.start] + edit.text + out[edit.end :]
        last = edit.start
    return out


def anchor(
    content: str, patched: str, line: int, end_line: int, *, slack: int = SLACK
) -> Anchored | None:
    """The suggestion turning ``content`` into ``patched``, covering ``line``..``end_line``.

    None when nothing changed or the change reaches more than ``slack`` lines outside the range.
    """
    if patched == content:
        return None
    old = content.splitlines()
    new = patched.splitlines()
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(old), len(new)) - prefix
        and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]
    ):
        suffix += 1
    # the edit replaced old lines prefix+1 .. len(old)-suffix (none for a pure insertion)
    first, last = prefix + 1, len(old) - suffix
    if first > end_line + slack or last < line - slack - 1:
        return None
    start, stop = min(line, first), max(end_line, last)
    stop = min(max(stop, start), len(old))
    if start > len(old):
        return None
    before = old[start - 1 : first - 1] if first > start else []
    after = old[last:stop] if stop > last else []
    middle = new[prefix : len(new) - suffix]
    # every line newline-terminated: "" deletes, "\n" is one empty line
    text = "".join(f"{line}\n" for line in (*before, *middle, *after))
    if replace_lines(content, start, stop, text) != patched:
        return None  # e.g. a change that only touches the final newline
    return Anchored(start, stop, text)


def _parses(file: FileChange, text: str) -> str | None:
    """None when ``text`` parses as the file's language, else the parse error."""
    language = (file.language or "").lower()
    try:
        if language == "python" or file.path.endswith((".py", ".pyi")):
            ast.parse(text, filename=file.path)
        elif language == "json" or file.path.endswith(".json"):
            json.loads(text)
    except (SyntaxError, ValueError) as exc:
        return f"the patched file does not parse: {exc}"
    return None


def _tool_names(finding: Finding) -> list[str]:
    return [s.split(":", 1)[1] for s in finding.sources if s.startswith("tool:")]


class Baselines:
    """Each analyzer's findings on the unpatched files, run once per (analyzer, path).

    Checks of several edits share it, concurrently too: the second asker awaits the first
    run instead of starting its own.
    """

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], asyncio.Future[Sequence[Finding]]] = {}

    async def findings(
        self, analyzer: FileAnalyzer, name: str, file: FileChange
    ) -> Sequence[Finding]:
        """``name``'s findings on ``file`` as it is in the change (raises ToolError)."""
        key = (name, file.path)
        run = self._runs.get(key)
        if run is None:
            run = self._runs[key] = asyncio.ensure_future(analyzer.analyze(name, file))
        # one asker cancelled must not cancel the run the others wait for
        return await asyncio.shield(run)


async def _compare(
    analyzer: FileAnalyzer,
    name: str,
    finding: Finding,
    *,
    file: FileChange,
    patched_file: FileChange,
    baseline: Baselines,
    reported: bool,
) -> str | None:
    """Why ``name`` rejects the patch (a new rule, or ``finding`` still there), or None."""
    try:
        before, after = await asyncio.gather(
            baseline.findings(analyzer, name, file), analyzer.analyze(name, patched_file)
        )
    except ToolError as exc:
        return f"{name} could not check the patch: {exc}"
    before_counts = Counter(f.rule_id for f in before)
    after_counts = Counter(f.rule_id for f in after)
    new = sorted(r for r in after_counts if after_counts[r] > before_counts[r])
    if new:
        return f"{name} reports new findings after the patch: {new}"
    if reported and after_counts[finding.rule_id] >= before_counts[finding.rule_id]:
        return f"{name} still reports {finding.rule_id} after the patch"
    return None


async def verify_edit(
    finding: Finding,
    file: FileChange,
    patched: str,
    analyzer: FileAnalyzer | None,
    baseline: Baselines | None = None,
    *,
    only_reporting: bool = False,
) -> str | None:
    """None when ``patched`` fixes ``finding`` cleanly, else why it does not.

    Clean: it parses; each tool that reported the finding reports fewer of its rule; no
    analyzer (with ``only_reporting``: none of the reporting tools) reports a rule more often
    than before. The analyzers run concurrently. ``baseline`` memoises each analyzer's
    findings on the unpatched file across edits (and across files: it is keyed by path).
    """
    problem = _parses(file, patched)
    if problem:
        return problem
    names = list(analyzer.available(file)) if analyzer else []
    if only_reporting:
        names = [n for n in names if n in _tool_names(finding)]
    needed = _tool_names(finding)
    missing = [n for n in needed if n not in names]
    if missing:
        return f"cannot re-run {missing} to check the fix"
    if analyzer is None or not names:
        return None
    baseline = Baselines() if baseline is None else baseline
    patched_file = file.model_copy(update={"new_content": patched})
    verdicts = await asyncio.gather(
        *(
            _compare(
                analyzer,
                name,
                finding,
                file=file,
                patched_file=patched_file,
                baseline=baseline,
                reported=name in needed,
            )
            for name in names
        )
    )
    # the first analyzer (in ``available`` order) that objects names the reason
    return next((v for v in verdicts if v), None)


def suggestion_diff(finding: Finding, change: ChangeSet | None) -> list[str]:
    """The suggestion as diff lines (``-old``, ``+new``); only ``+`` lines without the file."""
    if finding.suggestion is None:
        return []
    file = change.file(finding.path) if change is not None else None
    old: list[str] = []
    if file is not None and file.new_content is not None:
        old = file.new_content.splitlines()[finding.line - 1 : finding.end_line]
    return [f"-{text}" for text in old] + [f"+{text}" for text in finding.suggestion.splitlines()]

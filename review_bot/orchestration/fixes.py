"""Check a coder patch before it becomes a suggestion.

A patch is offered only when, applied to a copy of the file, it (1) stays on the finding's
lines, (2) still parses (Python, JSON), (3) clears the finding when a tool reported it (that
tool reports fewer findings of its rule), and (4) makes no analyzer report anything new.
The suggestion is the patch as a unified diff of the file.
"""

from __future__ import annotations

import ast
import difflib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from review_bot.agents.schemas import Patch
from review_bot.agents.tools import FileAnalyzer
from review_bot.change import FileChange
from review_bot.errors import ToolError
from review_bot.findings import Finding

__all__ = ["FixCheck", "apply_patch", "check_fix"]

_SLACK = 3


@dataclass(frozen=True)
class FixCheck:
    """The verdict on one patch: the suggestion to offer, or why there is none."""

    suggestion: str | None
    reason: str


def apply_patch(content: str, patch: Patch) -> str:
    """``content`` with lines ``start_line``..``end_line`` replaced by the patch's text."""
    lines = content.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    replacement = [line + newline for line in patch.replacement.splitlines()]
    tail_had_newline = patch.end_line > len(lines) or lines[patch.end_line - 1].endswith(
        ("\n", "\r")
    )
    if replacement and not tail_had_newline:
        replacement[-1] = replacement[-1].rstrip("\r\n")
    return "".join(lines[: patch.start_line - 1] + replacement + lines[patch.end_line :])


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


def _diff(file: FileChange, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{file.path}",
            tofile=f"b/{file.path}",
        )
    )


def _tool_names(finding: Finding) -> list[str]:
    return [s.split(":", 1)[1] for s in finding.sources if s.startswith("tool:")]


async def check_fix(
    finding: Finding,
    patch: Patch,
    file: FileChange,
    analyzer: FileAnalyzer | None,
    baseline: dict[str, Sequence[Finding]] | None = None,
) -> FixCheck:
    """Decide whether ``patch`` fixes ``finding`` in ``file`` cleanly.

    ``baseline`` memoises each analyzer's findings on the unpatched file across patches.
    """
    if file.new_content is None or patch.path != file.path:
        return FixCheck(None, f"the patch targets {patch.path!r}, not {finding.path!r}")
    total = len(file.new_content.splitlines())
    if patch.end_line > total:
        return FixCheck(None, f"the patch ends at line {patch.end_line}, the file has {total}")
    if patch.start_line > finding.end_line + _SLACK or patch.end_line < finding.line - _SLACK:
        return FixCheck(None, "the patch does not touch the finding's lines")
    patched = apply_patch(file.new_content, patch)
    if patched == file.new_content:
        return FixCheck(None, "the patch changes nothing")
    problem = _parses(file, patched)
    if problem:
        return FixCheck(None, problem)
    names = list(analyzer.available(file)) if analyzer else []
    needed = _tool_names(finding)
    missing = [n for n in needed if n not in names]
    if missing:
        return FixCheck(None, f"cannot re-run {missing} to check the fix")
    if analyzer is None:
        return FixCheck(_diff(file, file.new_content, patched), "parses; no analyzers to re-run")
    baseline = {} if baseline is None else baseline
    patched_file = file.model_copy(update={"new_content": patched})
    for name in names:
        try:
            if name not in baseline:
                baseline[name] = await analyzer.analyze(name, file)
            after = await analyzer.analyze(name, patched_file)
        except ToolError as exc:
            return FixCheck(None, f"{name} could not check the patch: {exc}")
        before_counts = Counter(f.rule_id for f in baseline[name])
        after_counts = Counter(f.rule_id for f in after)
        new = sorted(r for r in after_counts if after_counts[r] > before_counts[r])
        if new:
            return FixCheck(None, f"{name} reports new findings after the patch: {new}")
        if name in needed and after_counts[finding.rule_id] >= before_counts[finding.rule_id]:
            return FixCheck(None, f"{name} still reports {finding.rule_id} after the patch")
    return FixCheck(_diff(file, file.new_content, patched), "verified")

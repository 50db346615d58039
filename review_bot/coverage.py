"""Coverage: which changed files each analyzer looked at, and which got none.

"No findings" means little when no analyzer could read the files: a Go-only or a
workflow-only change is only scanned for secrets. :func:`build_coverage` turns the tools
phase's runs into a per-file record and one summary sentence ("3 Go files: secrets only"),
shown in every output format. Agents are not counted: they read every file they are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from review_bot.change import ChangeSet
    from review_bot.tools.base import ToolRun

__all__ = ["NO_ADDED_LINES", "Coverage", "FileCoverage", "build_coverage"]

NO_ADDED_LINES = "the change only deletes lines"
_LABELS = {
    "python": "Python",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "shell": "shell",
    "go": "Go",
    "java": "Java",
    "ruby": "Ruby",
    "c": "C",
    "cpp": "C++",
    "rust": "Rust",
    "yaml": "YAML",
    "json": "JSON",
    "toml": "TOML",
    "dockerfile": "Dockerfile",
    "markdown": "Markdown",
}
_MAX_GROUPS = 6
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class FileCoverage(BaseModel):
    """One reviewed file: the analyzers that ran on it, those that should have but did not."""

    model_config = _FROZEN

    path: str
    language: str | None = None
    analyzers: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # applies to the file but was skipped, failed or unsupported
    note: str = ""


class Coverage(BaseModel):
    """Per-file analyzer coverage of a review."""

    model_config = _FROZEN

    files: tuple[FileCoverage, ...] = ()
    without_analyzer: tuple[str, ...] = ()
    summary: str = ""


def _label(language: str | None, n: int) -> str:
    name = _LABELS.get(language or "", "other")
    return f"{n} {name} file{'s' if n != 1 else ''}"


def _what(entry: FileCoverage) -> str:
    if not entry.analyzers:
        text = "no analyzer"
    elif entry.analyzers == ("secrets",):
        text = "secrets only"
    else:
        text = ", ".join(entry.analyzers)
    if entry.note:
        text += f" ({entry.note})"
    elif entry.missing:
        text += f" ({', '.join(entry.missing)} did not run)"
    return text


def _summary(files: Sequence[FileCoverage]) -> str:
    groups: dict[tuple[str | None, str], int] = {}
    for entry in files:
        key = (entry.language, _what(entry))
        groups[key] = groups.get(key, 0) + 1
    parts = [f"{_label(lang, n)}: {what}" for (lang, what), n in groups.items()]
    if len(parts) > _MAX_GROUPS:
        parts = [*parts[:_MAX_GROUPS], f"{len(parts) - _MAX_GROUPS} more groups"]
    return f"Coverage: {'; '.join(parts)}." if parts else ""


def build_coverage(
    change: ChangeSet,
    runs: Iterable[ToolRun],
    unsupported: Mapping[str, Sequence[str]] | None = None,
) -> Coverage:
    """Coverage of ``change`` from the tools phase's ``runs``; ``unsupported`` maps a tool to
    files it would look at but cannot here (TypeScript without its parser)."""
    ran: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    for run in runs:
        target = ran if run.status == "ok" else missing
        for path in run.files:
            target.setdefault(path, []).append(run.tool)
    for tool, paths in (unsupported or {}).items():
        for path in paths:
            missing.setdefault(path, []).append(tool)
    files = []
    for file in change.files:
        note = "" if file.added_lines or ran.get(file.path) else NO_ADDED_LINES
        files.append(
            FileCoverage(
                path=file.path,
                language=file.language,
                analyzers=tuple(sorted(set(ran.get(file.path, ())))),
                missing=tuple(sorted(set(missing.get(file.path, ())))),
                note=note,
            )
        )
    return Coverage(
        files=tuple(files),
        without_analyzer=tuple(f.path for f in files if not f.analyzers),
        summary=_summary(files),
    )

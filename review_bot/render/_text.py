"""Terminal output: findings grouped by file, severity colours, code context (rich)."""

from __future__ import annotations

import io
import re
from itertools import groupby

from rich.console import Console
from rich.text import Text

from review_bot.change import ChangeSet
from review_bot.findings import Review, rank_findings
from review_bot.render._context import context_lines, suggestion_lines

# terminal control (ANSI escapes, carriage returns) in a tool's or a model's text is dropped
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _plain(text: str) -> str:
    return _CONTROL.sub("", text)


_MAX_COVERAGE_LINES = 50
SEVERITY_STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "bold yellow",
    "low": "cyan",
    "info": "dim",
}


def _coverage(console: Console, review: Review) -> None:
    files = review.coverage.files
    if not files:
        return
    console.print(Text("Coverage", style="bold"))
    for entry in files[:_MAX_COVERAGE_LINES]:
        ran = ", ".join(entry.analyzers) or "no analyzer"
        extra = entry.note or (f"{', '.join(entry.missing)} did not run" if entry.missing else "")
        style = "dim" if entry.analyzers else "yellow"
        console.print(
            Text(f"  {entry.path}: {ran}" + (f" ({extra})" if extra else ""), style=style)
        )
    if len(files) > _MAX_COVERAGE_LINES:
        more = len(files) - _MAX_COVERAGE_LINES
        console.print(Text(f"  ... and {more} more files", style="dim"))


def render_text(review: Review, change: ChangeSet | None = None, *, color: bool = False) -> str:
    """A human-readable report; ANSI colours when ``color`` is set."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, width=110, highlight=False
    )
    title = Text("Review Bot", style="bold")
    title.append(f"  ({review.mode})", style="dim")
    console.print(title)
    console.print(Text(_plain(review.summary)))
    console.print()
    by_path = sorted(rank_findings(review.findings), key=lambda f: (f.path, f.line))
    for path, group in groupby(by_path, key=lambda f: f.path):
        console.print(Text(_plain(path), style="bold underline"))
        for finding in group:
            head = Text("  ")
            head.append(f"{finding.severity.upper():<8}", style=SEVERITY_STYLE[finding.severity])
            where = (
                f"{finding.line}"
                if finding.end_line == finding.line
                else (f"{finding.line}-{finding.end_line}")
            )
            head.append(f" line {where}  ", style="bold")
            head.append(_plain(finding.rule_id), style="magenta")
            head.append(
                _plain(f"  [{', '.join(finding.sources)}; confidence {finding.confidence:.2f}]"),
                style="dim",
            )
            console.print(head)
            console.print(Text(_plain(f"    {finding.message}")))
            for number, text, marked in context_lines(finding, change):
                style = "bold" if marked else "dim"
                marker = ">" if marked else " "
                console.print(Text(_plain(f"    {marker}{number:>5} | {text}"), style=style))
            if finding.suggestion is not None:
                console.print(Text("    suggestion:", style="green"))
                for line in suggestion_lines(finding, change):
                    style = "red" if line.startswith("-") else "green"
                    console.print(Text(_plain(f"      {line}"), style=style))
        console.print()
    if review.skipped:
        console.print(Text("Skipped", style="bold"))
        for skip in review.skipped:
            console.print(Text(_plain(f"  {skip.kind} {skip.name}: {skip.reason}"), style="dim"))
    if review.failures:
        console.print(Text("Failures (partial review)", style="bold red"))
        for failure in review.failures:
            console.print(Text(_plain(f"  {failure.component}: {failure.reason}"), style="red"))
    _coverage(console, review)
    stats = review.stats
    console.print(
        Text(
            f"{len(review.findings)} findings · {stats.tool_runs} tool runs · "
            f"{stats.llm_calls} model calls · {stats.duration_s:.1f}s",
            style="dim",
        )
    )
    return buffer.getvalue()

"""Terminal output: findings grouped by file, severity colours, code context (rich)."""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.text import Text

from review_bot.change import ChangeSet
from review_bot.findings import Review, rank_findings
from review_bot.render._context import context_lines

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
    console.print(review.summary)
    console.print()
    by_path = sorted(rank_findings(review.findings), key=lambda f: (f.path, f.line))
    for path, group in groupby(by_path, key=lambda f: f.path):
        console.print(Text(path, style="bold underline"))
        for finding in group:
            head = Text("  ")
            head.append(f"{finding.severity.upper():<8}", style=SEVERITY_STYLE[finding.severity])
            where = (
                f"{finding.line}"
                if finding.end_line == finding.line
                else (f"{finding.line}-{finding.end_line}")
            )
            head.append(f" line {where}  ", style="bold")
            head.append(f"{finding.rule_id}", style="magenta")
            head.append(f"  [{', '.join(finding.sources)}]", style="dim")
            console.print(head)
            console.print(Text(f"    {finding.message}"))
            for number, text, marked in context_lines(finding, change):
                style = "bold" if marked else "dim"
                marker = ">" if marked else " "
                console.print(Text(f"    {marker}{number:>5} | {text}", style=style))
            if finding.suggestion:
                console.print(Text("    suggestion:", style="green"))
                for line in finding.suggestion.splitlines():
                    console.print(Text(f"      {line}", style="green"))
        console.print()
    if review.skipped:
        console.print(Text("Skipped", style="bold"))
        for skip in review.skipped:
            console.print(Text(f"  {skip.kind} {skip.name}: {skip.reason}", style="dim"))
    if review.failures:
        console.print(Text("Failures (partial review)", style="bold red"))
        for failure in review.failures:
            console.print(Text(f"  {failure.component}: {failure.reason}", style="red"))
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

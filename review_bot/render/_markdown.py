"""Markdown for a pull-request comment: summary, severity counts, findings per file."""

from __future__ import annotations

from itertools import groupby

from review_bot.change import ChangeSet
from review_bot.findings import SEVERITIES, Review, rank_findings
from review_bot.render._context import context_lines, suggestion_lines
from review_bot.render._escape import code, fence, inline

_MAX_COVERAGE_ROWS = 100
_ICON = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "🟦", "info": "⬜"}
_escape = inline


def _coverage(review: Review) -> list[str]:
    files = review.coverage.files
    if not files:
        return []
    out = ["<details><summary>Coverage</summary>", "", "| file | analyzers |", "|---|---|"]
    for entry in files[:_MAX_COVERAGE_ROWS]:
        ran = ", ".join(entry.analyzers) or "**none**"
        extra = entry.note or (f"{', '.join(entry.missing)} did not run" if entry.missing else "")
        ran += f" ({_escape(extra)})" if extra else ""
        cell = code(entry.path.replace("`", "")).replace("|", "\\|")  # a pipe ends a cell
        out.append(f"| {cell} | {ran} |")
    if len(files) > _MAX_COVERAGE_ROWS:
        out.append(f"| … | {len(files) - _MAX_COVERAGE_ROWS} more files |")
    return [*out, "", "</details>", ""]


def render_markdown(review: Review, change: ChangeSet | None = None) -> str:
    """A PR-comment-sized Markdown report."""
    out = ["## Review Bot", "", _escape(review.summary), ""]
    counts = {s: sum(1 for f in review.findings if f.severity == s) for s in SEVERITIES}
    if review.findings:
        out += ["| severity | findings |", "|---|---|"]
        out += [f"| {_ICON[s]} {s} | {n} |" for s, n in counts.items() if n]
        out.append("")
    by_path = sorted(rank_findings(review.findings), key=lambda f: (f.path, f.line))
    for path, group in groupby(by_path, key=lambda f: f.path):
        out += [f"### {code(path)}", ""]
        for finding in group:
            where = f"L{finding.line}" + (
                f"-L{finding.end_line}" if finding.end_line != finding.line else ""
            )
            sources = _escape(", ".join(finding.sources))
            out.append(
                f"- {_ICON[finding.severity]} **{finding.severity}** {where} "
                f"{code(finding.rule_id)}: {_escape(finding.message)} "
                f"_({sources}; confidence {finding.confidence:.2f})_"
            )
            lines = context_lines(finding, change, around=0)
            if lines:
                out += fence([text for _, text, _ in lines], indent="  ")
            if finding.suggestion is not None:
                out.append("  Suggested fix:")
                out += fence(suggestion_lines(finding, change), "diff", indent="  ")
        out.append("")
    if review.skipped or review.failures:
        out += ["<details><summary>Skipped and failed</summary>", ""]
        out += [f"- skipped {s.kind} {code(s.name)}: {_escape(s.reason)}" for s in review.skipped]
        out += [f"- **failed** {code(f.component)}: {_escape(f.reason)}" for f in review.failures]
        out += ["", "</details>", ""]
    out += _coverage(review)
    stats = review.stats
    out.append(
        f"<sub>{review.mode} · {stats.tool_runs} tool runs · {stats.llm_calls} model calls · "
        f"{stats.prompt_tokens + stats.completion_tokens} tokens · {stats.duration_s:.1f}s"
        + (f" · transcript `{review.transcript_hash}`" if review.transcript_hash else "")
        + "</sub>"
    )
    return "\n".join(out) + "\n"

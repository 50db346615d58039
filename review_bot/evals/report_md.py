"""The Markdown summary of a run (also what the CLI's tables are built from)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from review_bot.evals.summary import Distribution, Metrics, PredictionCounts, Summary, UnitCounts
from review_bot.evals.tooltime import ToolTotals

__all__ = ["TOOL_HEADERS", "fmt_ratio", "metrics_rows", "render_markdown", "table", "tool_rows"]

METRIC_HEADERS = (
    "group",
    "cases",
    "recall",
    "units found",
    "precision",
    "F1",
    "F0.5",
    "negatives flagged",
    "clean cases flagged",
    "unlabeled",
    "errors",
)


def fmt_ratio(value: float | None) -> str:
    """``0.4286`` → ``42.9%``; None → ``n/a``."""
    return "n/a" if value is None else f"{value:.1%}"


def _metric_row(name: str, m: Metrics) -> list[str]:
    return [
        name,
        str(m.cases),
        fmt_ratio(m.recall),
        f"{m.units_found}/{m.units}",
        fmt_ratio(m.precision),
        fmt_ratio(m.f1),
        fmt_ratio(m.f0_5),
        f"{m.negatives_flagged}/{m.negatives}",
        f"{m.clean_flagged}/{m.clean_cases}",
        str(m.unlabeled),
        str(m.errors),
    ]


def metrics_rows(summary: Summary, groups: Mapping[str, Metrics]) -> list[list[str]]:
    """Rows of the metrics table: one per group, then the pooled total."""
    rows = [_metric_row(k, v) for k, v in groups.items()]
    rows.append(_metric_row("all (pooled)", summary.overall))
    return rows


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _units_table(title: str, key: str, groups: Mapping[str, UnitCounts]) -> str:
    rows = [[k, str(v.units), str(v.found), fmt_ratio(v.recall)] for k, v in groups.items()]
    return f"### {title}\n\n" + table((key, "units", "found", "recall"), rows)


def _pred_table(title: str, key: str, groups: Mapping[str, PredictionCounts]) -> str:
    rows = [
        [k, str(v.findings), str(v.tp), str(v.fp), str(v.unlabeled), fmt_ratio(v.precision)]
        for k, v in groups.items()
    ]
    headers = (
        key,
        "findings",
        "tp",
        "labeled fp",
        "unlabeled",
        "precision",
    )
    return f"### {title}\n\n" + table(headers, rows)


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}"


def usage_rows(usage: Mapping[str, Distribution]) -> list[list[str]]:
    """Per-case usage figures: total, mean, median, p95."""
    return [
        [name, _num(d.total, 6), _num(d.mean), _num(d.median), _num(d.p95)]
        for name, d in usage.items()
    ]


TOOL_HEADERS = (
    "tool",
    "cases",
    "runs",
    "cached",
    "skipped",
    "failed",
    "total s",
    "mean s",
    "max s",
)


def tool_rows(tools: Mapping[str, ToolTotals]) -> list[list[str]]:
    """One row per analyzer: how often it ran and how long its runs took."""
    return [
        [
            name,
            str(t.cases),
            str(t.runs),
            str(t.cached),
            str(t.skipped),
            str(t.failed),
            f"{t.total_s:.1f}",
            "n/a" if t.mean_s is None else f"{t.mean_s:.2f}",
            "n/a" if t.max_s is None else f"{t.max_s:.2f}",
        ]
        for name, t in tools.items()
    ]


def render_markdown(summary: Summary) -> str:
    """The whole ``summary.md``."""
    run = summary.run
    parts = [
        "# Eval run",
        "",
        f"- mode: {run.get('mode', '?')}; model: {run.get('model') or 'none'}; "
        f"tolerance: ±{run.get('tolerance')} lines; run hash: `{run.get('run_hash')}`",
        f"- cases: {summary.overall.cases}; wall time: {run.get('wall_s', 'n/a')} s",
        "- precision counts labeled predictions only (tp / (tp + labeled fp)); "
        "unlabeled findings are never false positives.",
        "",
        "## Per source",
        "",
        table(METRIC_HEADERS, metrics_rows(summary, summary.by_source)),
        "",
        "## Per language",
        "",
        table(METRIC_HEADERS, metrics_rows(summary, summary.by_language)),
        "",
        "## Recall by label",
        "",
        _units_table("Recall by category", "category", summary.recall_by_category),
        "",
        _units_table("Recall by CWE", "CWE", summary.recall_by_cwe),
        "",
        _units_table("Recall by severity", "severity", summary.recall_by_severity),
        "",
        "## Findings by verdict",
        "",
        _pred_table("Findings by category", "category", summary.findings_by_category),
        "",
        _pred_table("Findings by severity", "severity", summary.findings_by_severity),
        "",
        _pred_table("Findings by reporter", "reporter", summary.findings_by_reporter),
        "",
        "## Cost and latency per case",
        "",
        table(("quantity", "total", "mean", "median", "p95"), usage_rows(summary.usage)),
        "",
    ]
    if summary.tools:
        parts += [
            "## Tools phase per analyzer",
            "",
            "Wall time of each analyzer's runs, summed over the cases (analyzers run "
            "concurrently within a case, so the column does not add up to the run's wall time).",
            "",
            table(TOOL_HEADERS, tool_rows(summary.tools)),
            "",
        ]
    return "\n".join(parts)

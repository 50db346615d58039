"""Write a run's reports: ``summary.json``, ``summary.md`` and a self-contained ``report.html``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from review_bot.evals.charts import bar_chart, scatter_chart
from review_bot.evals.report_md import (
    METRIC_HEADERS,
    fmt_ratio,
    metrics_rows,
    render_markdown,
    usage_rows,
)
from review_bot.evals.results import CaseResult
from review_bot.evals.summary import Summary

__all__ = ["SUMMARY_HTML", "SUMMARY_JSON", "SUMMARY_MD", "render_html", "write_reports"]

SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
SUMMARY_HTML = "report.html"

_RUN_DEFAULTS: dict[str, object] = {
    "mode": "?",
    "model": None,
    "tolerance": "?",
    "run_hash": "",
    "wall_s": "n/a",
}


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _charts(summary: Summary) -> dict[str, str]:
    per_source = [(name, (m.recall, m.precision)) for name, m in summary.by_source.items()]
    per_category = [
        (f"label {k}", (u.recall, None)) for k, u in summary.recall_by_category.items()
    ] + [
        (f"finding {k}", (None, p.precision))
        for k, p in summary.findings_by_category.items()
        if p.tp + p.fp
    ]
    costs = [d.get("cost_usd") for d in summary.usage_by_source.values()]
    use_cost = any(c is not None and c.total > 0 for c in costs)
    key, x_label = ("cost_usd", "mean cost per case (USD)")
    if not use_cost:
        key, x_label = ("latency_s", "mean latency per case (s) — no model cost in this run")
    points = [
        (name, summary.usage_by_source[name][key].mean or 0.0, m.recall)
        for name, m in summary.by_source.items()
    ]
    return {
        "chart_source": bar_chart(
            "Recall and precision per source", ("recall", "precision"), per_source
        ),
        "chart_category": bar_chart(
            "Recall per label category, precision per finding category",
            ("recall", "precision"),
            per_category,
            show_missing=False,
        ),
        "chart_cost": scatter_chart("Cost vs recall per source", x_label, "recall", points),
    }


def render_html(summary: Summary, results: Sequence[CaseResult]) -> str:
    """The report page: inline CSS and SVG only, so it opens offline from a file."""
    template_text = resources.files("review_bot.evals").joinpath("report.html").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(template_text)
    unit_rows, pred_rows = _label_rows(summary)
    cases = [_case_view(r) for r in results]
    return template.render(
        run={**_RUN_DEFAULTS, **summary.run},
        overall=summary.overall,
        pct=fmt_ratio,
        results=cases,
        table_source=_html_table(METRIC_HEADERS, metrics_rows(summary, summary.by_source)),
        table_language=_html_table(METRIC_HEADERS, metrics_rows(summary, summary.by_language)),
        table_units=_html_table(("label group", "units", "found", "recall"), unit_rows),
        table_preds=_html_table(
            ("finding group", "findings", "tp", "labeled fp", "unlabeled", "precision"),
            pred_rows,
        ),
        table_usage=_html_table(
            ("quantity", "total", "mean", "median", "p95"), usage_rows(summary.usage)
        ),
        **_charts(summary),
    )


def _label_rows(summary: Summary) -> tuple[list[list[str]], list[list[str]]]:
    """The recall-by-label and findings-by-group table rows."""
    unit_rows = [
        [f"{kind} {k}", str(v.units), str(v.found), fmt_ratio(v.recall)]
        for kind, groups in (
            ("category", summary.recall_by_category),
            ("CWE", summary.recall_by_cwe),
            ("severity", summary.recall_by_severity),
        )
        for k, v in groups.items()
    ]
    pred_rows = [
        [
            f"{kind} {k}",
            str(v.findings),
            str(v.tp),
            str(v.fp),
            str(v.unlabeled),
            fmt_ratio(v.precision),
        ]
        for kind, groups in (
            ("category", summary.findings_by_category),
            ("severity", summary.findings_by_severity),
            ("reporter", summary.findings_by_reporter),
        )
        for k, v in groups.items()
    ]
    return unit_rows, pred_rows


def _case_view(r: CaseResult) -> dict[str, Any]:
    """One case as the page's case list shows it."""
    return {
        "case_id": r.case_id,
        "source": r.source,
        "language": r.language,
        "is_clean": r.is_clean,
        "error": r.error,
        "units": len(r.score.units),
        "found": sum(1 for u in r.score.units if u.found),
        "tp": r.score.count("tp"),
        "fp": r.score.count("negative") + r.score.count("clean"),
        "unlabeled": r.score.count("unlabeled"),
        "rows": list(zip(r.findings, r.score.verdicts, strict=True)),
    }


def write_reports(directory: Path, summary: Summary, results: Sequence[CaseResult]) -> None:
    """Write the three summary files into ``directory`` (``cases.jsonl`` is the store's)."""
    (directory / SUMMARY_JSON).write_text(
        json.dumps(summary.model_dump(mode="json"), indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    (directory / SUMMARY_MD).write_text(render_markdown(summary), encoding="utf-8")
    (directory / SUMMARY_HTML).write_text(render_html(summary, results), encoding="utf-8")

"""Reports written into --out: JSON, Markdown, and an HTML page that renders offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from eval_helpers import case, model, pred

from review_bot.evals.charts import bar_chart, scatter_chart
from review_bot.evals.reports import render_html, write_reports
from review_bot.evals.results import CaseResult, CaseUsage
from review_bot.evals.scoring import score_case
from review_bot.evals.summary import summarise


def _results() -> list[CaseResult]:
    out = []
    for rec, findings, cost in (
        (case("a<b>", expected=[{"line_start": 5, "line_end": 5}]), [pred(5), pred(40)], 0.02),
        (case("b", is_clean=True, source="other"), [pred(3)], 0.01),
    ):
        c = model(rec)
        out.append(
            CaseResult(
                case_id=c.id,
                case_hash=c.content_hash(),
                run_hash="h",
                source=c.source_name,
                language=c.language,
                is_clean=c.is_clean,
                findings=tuple(findings),
                score=score_case(c, findings, 2),
                usage=CaseUsage(cost_usd=cost, wall_s=1.0),
            )
        )
    return out


def test_reports_are_written_and_agree(tmp_path: Path) -> None:
    results = _results()
    summary = summarise(results, {"run_hash": "h", "mode": "tools-only", "tolerance": 2})
    write_reports(tmp_path, summary, results)
    data = json.loads((tmp_path / "summary.json").read_text())
    assert data["by_source"]["src-a"]["recall"] == 1.0
    assert data["overall"]["clean_flagged"] == 1
    md = (tmp_path / "summary.md").read_text()
    assert "| src-a | 1 | 100.0% | 1/1 |" in md
    assert "| other | 1 | n/a | 0/0 | 0.0% |" in md
    html = (tmp_path / "report.html").read_text()
    assert html.count("<svg") == 3
    assert "a&lt;b&gt;" in html
    assert "a<b>" not in html


def test_html_is_self_contained() -> None:
    results = _results()
    html = render_html(summarise(results, {}), results)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script" not in html
    assert "@import" not in html


def test_chart_shows_missing_values_as_na_not_zero() -> None:
    svg = bar_chart("t", ("recall", "precision"), [("x", (0.5, None))])
    assert "n/a" in svg
    assert "50%" in svg
    assert "n/a" not in bar_chart("t", ("r", "p"), [("x", (0.5, None))], show_missing=False)
    svg = scatter_chart("t", "cost", "recall", [("s1", 0.0, 0.5), ("s2", 2.0, None)])
    assert svg.count("<circle") == 1


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    results = _results()
    write_reports(tmp_path, summarise(results, {"mode": "tools-only"}), results)
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            (tmp_path / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert dom.count("<svg") == 3
    assert "Recall and precision per source" in dom
    assert "<rect" in dom
    assert "<circle" in dom

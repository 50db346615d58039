"""Per-analyzer time of an eval run: from the review's events to the run's table."""

from __future__ import annotations

import json
from pathlib import Path

from review_bot.cache.tools import CACHED_REASON
from review_bot.change import ChangeSet
from review_bot.config.models import ReviewConfig
from review_bot.evals.dataset import EvalCase, load_cases
from review_bot.evals.report_md import render_markdown
from review_bot.evals.results import RunInfo, ToolUsage
from review_bot.evals.runner import run_cases
from review_bot.evals.store import RunStore
from review_bot.evals.summary import summarise
from review_bot.evals.tooltime import ToolTimer, tool_totals
from review_bot.events import EventSink
from review_bot.findings import Review
from tests.evals.eval_helpers import case, review_of

CONFIG = ReviewConfig()


def _finished(sink: EventSink, tool: str, status: str, duration: float, reason: str = "") -> None:
    sink.emit("tool.started", tool=tool, files=1)
    sink.emit(
        "tool.finished", tool=tool, files=1, status=status, duration_s=duration, reason=reason
    )


def test_timer_counts_runs_cache_hits_skips_and_failures_apart() -> None:
    timer = ToolTimer()
    _finished(timer, "semgrep", "ok", 2.5)
    _finished(timer, "semgrep", "failed", 1.0, "timed out")
    _finished(timer, "ruff", "ok", 0.0, CACHED_REASON)
    _finished(timer, "govet", "skipped", 0.0, "go is not installed")
    timer.emit("review.finished", findings=0)  # not a tool event: ignored
    assert timer.usage() == {
        "govet": ToolUsage(skipped=1),
        "ruff": ToolUsage(cached=1),
        "semgrep": ToolUsage(runs=2, failed=1, seconds=3.5),
    }


async def test_run_records_each_case_s_tool_time_and_the_summary_pools_it(
    tmp_path: Path,
) -> None:
    records = [case("a"), case("b"), case("c")]
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    cases = load_cases([path])
    seconds = {"a": 1.0, "b": 3.0, "c": 0.0}

    async def reviewer(c: EvalCase, change: ChangeSet, cfg: ReviewConfig, ev: EventSink) -> Review:
        if seconds[c.id]:
            _finished(ev, "semgrep", "ok", seconds[c.id])
        else:
            _finished(ev, "semgrep", "ok", 0.0, CACHED_REASON)
        _finished(ev, "bandit", "ok", 0.5)
        return review_of([])

    info = RunInfo(review_config={}, tools_only=True, tolerance=2)
    results = await run_cases(
        cases, reviewer, CONFIG, RunStore(tmp_path / "run", info), tolerance=2, concurrency=2
    )
    assert results[1].usage.tools["semgrep"] == ToolUsage(runs=1, seconds=3.0)
    totals = tool_totals(results)
    assert list(totals) == ["semgrep", "bandit"]  # the slowest first
    semgrep = totals["semgrep"]
    assert (semgrep.cases, semgrep.runs, semgrep.cached) == (3, 2, 1)
    assert (semgrep.total_s, semgrep.mean_s, semgrep.max_s) == (4.0, 2.0, 3.0)
    assert totals["bandit"].total_s == 1.5

    summary = summarise(results, {})
    assert summary.tools == totals
    md = render_markdown(summary)
    assert "## Tools phase per analyzer" in md
    assert "| semgrep | 3 | 2 | 1 | 0 | 0 | 4.0 | 2.00 | 3.00 |" in md


def test_a_summary_without_tool_times_still_renders() -> None:
    summary = summarise([], {})
    assert summary.tools == {}
    assert "Tools phase" not in render_markdown(summary)

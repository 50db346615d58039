"""``review-bot eval``: score reviews on labeled changes; ``review-bot eval compare A B``.

Runs the same pipeline as ``review-bot review`` on every case (composed by
:func:`review_bot.compose.build_services`, so caching and transcripts apply as they do for a
user), writes per-case results as they finish (a re-run of the same command resumes), then
the summary, Markdown and HTML reports.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from review_bot.change import ChangeSet
from review_bot.compose import Runtime
from review_bot.config.evals import (
    DEFAULT_CONCURRENCY,
    DEFAULT_REGRESSION_THRESHOLD,
    DEFAULT_TOLERANCE,
)
from review_bot.config.models import ReviewConfig
from review_bot.config.settings import Settings, environment, load_settings
from review_bot.errors import InputError
from review_bot.evals.compare import Comparison, compare_runs
from review_bot.evals.dataset import CaseFilter, EvalCase, filter_cases, load_cases
from review_bot.evals.langfuse_export import export_run
from review_bot.evals.report_md import METRIC_HEADERS, TOOL_HEADERS, metrics_rows, tool_rows
from review_bot.evals.reports import SUMMARY_HTML, write_reports
from review_bot.evals.results import CaseResult, RunInfo, run_hash
from review_bot.evals.runner import run_cases
from review_bot.evals.store import RunStore
from review_bot.evals.summary import Summary, summarise
from review_bot.events import EventSink
from review_bot.findings import Review

__all__ = ["register", "run"]

DEFAULT_OUT_ROOT = Path(".review-bot") / "evals"
_PIPE_WIDTH = 160


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``eval`` subcommand (``eval compare RUN_A RUN_B`` compares two runs)."""
    parser = sub.add_parser(
        "eval",
        help="score reviews on a labeled dataset, or compare two runs",
        usage=(
            "review-bot eval DATASET... [--tools-only] [--model M] [--concurrency N] "
            "[--limit N] [--out DIR] [--source S] [--language L] [--ids ID...]\n"
            "       review-bot eval compare RUN_A RUN_B [--threshold X]"
        ),
        description="Run the review pipeline on labeled cases (JSONL files or directories) "
        "and report recall, labeled false positives, cost and latency per source.",
    )
    parser.add_argument("datasets", nargs="+", metavar="DATASET", help="JSONL files or dirs")
    parser.add_argument("--tools-only", action="store_true", help="do not call a model")
    parser.add_argument("--model", help="model name for the agents (sets REVIEW_BOT_MODEL)")
    parser.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="cases reviewed at once"
    )
    parser.add_argument("--limit", type=int, help="only the first N selected cases")
    parser.add_argument("--out", type=Path, help="run directory (default: by settings hash)")
    parser.add_argument("--source", action="append", default=[], help="keep this source")
    parser.add_argument("--language", action="append", default=[], help="keep this language")
    parser.add_argument("--ids", nargs="+", default=[], help="keep these case ids")
    parser.add_argument(
        "--tolerance", type=int, default=DEFAULT_TOLERANCE, help="line slack of a match"
    )
    parser.add_argument("--config", type=Path, help="a review-bot TOML config file")
    parser.add_argument("--restart", action="store_true", help="discard results in --out DIR")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_REGRESSION_THRESHOLD,
        help="compare: allowed drop of a metric (fraction) before exiting 1",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch to a run or a comparison."""
    if args.datasets[0] == "compare":
        if len(args.datasets) != 3:
            raise InputError(
                f"eval compare takes two run directories, got {args.datasets[1:]!r}: "
                "review-bot eval compare RUN_A RUN_B"
            )
        return _compare(Path(args.datasets[1]), Path(args.datasets[2]), args.threshold)
    return _evaluate(args)


def _check_args(args: argparse.Namespace) -> None:
    if args.concurrency < 1:
        raise InputError(f"--concurrency must be at least 1, got {args.concurrency!r}")
    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit must be at least 1, got {args.limit!r}")
    if args.tolerance < 0:
        raise InputError(f"--tolerance must be 0 or more, got {args.tolerance!r}")


def _env(model: str | None) -> Mapping[str, str] | None:
    """The environment the settings are read from, with ``--model`` as REVIEW_BOT_MODEL."""
    if model is None:
        return None
    return environment(REVIEW_BOT_MODEL=model)


def _evaluate(args: argparse.Namespace) -> int:
    _check_args(args)
    cases = filter_cases(
        load_cases(args.datasets),
        CaseFilter(
            sources=tuple(args.source),
            languages=tuple(args.language),
            ids=tuple(args.ids),
            limit=args.limit,
        ),
    )
    if not cases:
        raise InputError("no case passes --source/--language/--ids: check the filters")
    overrides: dict[str, object] = {"tools_only": True} if args.tools_only else {}
    settings = load_settings(args.config, _env(args.model), overrides, tools_only=args.tools_only)
    model = settings.model
    info = RunInfo(
        review_config=settings.review.model_dump(mode="json"),
        tools_only=model is None,
        model=f"{model.model}@{model.base_url or 'openai'}" if model is not None else None,
        tolerance=args.tolerance,
    )
    out = args.out or DEFAULT_OUT_ROOT / run_hash(info)
    store = RunStore(out, info, restart=args.restart)
    started = time.perf_counter()
    results, resumed = _run_cases(args, cases, settings, store, out)
    run_meta: dict[str, Any] = {
        "run_hash": store.run_hash,
        "mode": "tools-only" if model is None else "agents",
        "model": info.model,
        "tolerance": args.tolerance,
        "datasets": [str(d) for d in args.datasets],
        "cases_resumed": resumed,
        "wall_s": round(time.perf_counter() - started, 2),
    }
    summary = summarise(results, run_meta)
    write_reports(out, summary, results)
    _print_summary(summary, out)
    langfuse = settings.langfuse
    if langfuse.enabled:  # pragma: no cover - needs a Langfuse server
        exported = export_run(langfuse, results, run_name=f"review-bot-{store.run_hash}")
        Console(stderr=True).print(f"exported {exported} cases to Langfuse at {langfuse.host}")
    return 0


def _run_cases(
    args: argparse.Namespace,
    cases: Sequence[EvalCase],
    settings: Settings,
    store: RunStore,
    out: Path,
) -> tuple[list[CaseResult], int]:
    """Review every case through the user's composition, with a progress bar; the results
    and how many came from the store (a resumed run)."""
    runtime = Runtime.from_settings(settings)

    async def reviewer(
        case: EvalCase, change: ChangeSet, cfg: ReviewConfig, events: EventSink
    ) -> Review:
        # the same composition as a user's review: cache, policies, a transcript per case
        return await runtime.review(change, cfg, events=events)

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]eval[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        disable=args.no_progress,
    )
    resumed = 0

    def on_result(result: CaseResult, from_store: bool) -> None:
        nonlocal resumed
        resumed += int(from_store)
        note = f"resumed {resumed}" if resumed else ""
        progress.update(task, advance=1, description=f"{result.case_id} {note}")

    async def run_all() -> list[CaseResult]:
        try:
            return await run_cases(
                cases,
                reviewer,
                settings.review,
                store,
                tolerance=args.tolerance,
                concurrency=args.concurrency,
                on_result=on_result,
            )
        finally:
            await runtime.aclose()

    try:
        with progress:
            task = progress.add_task("", total=len(cases))
            results = asyncio.run(run_all())
    except KeyboardInterrupt:
        console.print(
            f"interrupted: finished cases are saved in {str(out)!r}; "
            "run the same command again to resume"
        )
        raise
    return results, resumed


def _stdout() -> Console:
    console = Console()
    # piped or captured output: wide enough for the metrics table instead of 80 columns
    return console if console.is_terminal else Console(width=_PIPE_WIDTH)


def _print_summary(summary: Summary, out: Path) -> None:
    console = _stdout()
    table = Table(title="Per source (precision over labeled predictions only)")
    for header in METRIC_HEADERS:
        table.add_column(header, justify="left" if header == "group" else "right")
    for row in metrics_rows(summary, summary.by_source):
        table.add_row(*row)
    console.print(table)
    o = summary.overall
    lat = summary.usage["latency_s"]
    cost = summary.usage["cost_usd"]
    tokens = summary.usage["tokens"]
    console.print(
        f"labeled negatives flagged: {o.negatives_flagged}/{o.negatives}  ·  "
        f"clean cases flagged: {o.clean_flagged}/{o.clean_cases}  ·  "
        f"unlabeled findings: {o.unlabeled}  ·  errors: {o.errors}"
    )
    console.print(
        f"per case: latency median {lat.median}s p95 {lat.p95}s · tokens median {tokens.median} "
        f"p95 {tokens.p95} · cost total ${cost.total:.4f}"
    )
    if summary.tools:
        tools = Table(title="Tools phase: time per analyzer (wall time of its runs, summed)")
        for header in TOOL_HEADERS:
            tools.add_column(header, justify="left" if header == "tool" else "right")
        for row in tool_rows(summary.tools):
            tools.add_row(*row)
        console.print(tools)
    console.print(f"reports: {out / SUMMARY_HTML} (and summary.json, summary.md, cases.jsonl)")


def _print_comparison(comparison: Comparison) -> None:
    console = _stdout()
    table = Table(title=f"Metric deltas (B - A), threshold {comparison.threshold}")
    for header in ("scope", "metric", "A", "B", "delta", ""):
        table.add_column(header)
    for d in comparison.deltas:
        if d.delta == 0 and not d.regression:
            continue
        fmt = "n/a" if d.a is None else f"{d.a:.3f}", "n/a" if d.b is None else f"{d.b:.3f}"
        delta = "n/a" if d.delta is None else f"{d.delta:+.3f}"
        table.add_row(
            d.scope, d.metric, *fmt, delta, "[red]REGRESSION[/red]" if d.regression else ""
        )
    if table.row_count:
        console.print(table)
    else:
        console.print("no metric changed")
    for change in comparison.cases:
        colour = {"better": "green", "worse": "red", "mixed": "yellow"}[change.direction]
        console.print(
            f"[{colour}]{change.direction:6}[/{colour}] {change.case_id}: units found "
            f"{change.found_a}→{change.found_b}, labeled fp {change.fp_a}→{change.fp_b}"
        )
    if comparison.only_in_a or comparison.only_in_b:
        console.print(
            f"cases only in A: {len(comparison.only_in_a)}, only in B: {len(comparison.only_in_b)}"
        )
    verdict = f"{len(comparison.regressions)} regression(s)" if comparison.regressions else "ok"
    console.print(f"compare: {verdict}")


def _compare(run_a: Path, run_b: Path, threshold: float) -> int:
    if not 0 <= threshold <= 1:
        raise InputError(f"--threshold must be a fraction in [0, 1], got {threshold!r}")
    comparison = compare_runs(run_a, run_b, threshold)
    _print_comparison(comparison)
    return 1 if comparison.regressions else 0

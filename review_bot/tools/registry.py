"""The tools phase: pick the analyzers, give each its batch, run them all at once.

Every analyzer runs once per review, over all the changed files it applies to, in one shared
temp copy of the change. Analyzers run concurrently (they are separate processes). The
findings come back unfiltered, with the change's relative paths; filtering to changed lines
and merging are the pipeline's job.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from review_bot.change import ChangeSet, FileChange
from review_bot.config.controls import TOOL_NAMES
from review_bot.config.models import ToolsConfig
from review_bot.errors import InputError, ToolError
from review_bot.findings import Failure, Finding, Skip
from review_bot.tools.bandit import BanditAnalyzer
from review_bot.tools.base import Analyzer, AnalyzerResult, ToolRun
from review_bot.tools.calibrate import calibrate
from review_bot.tools.eslint import EslintAnalyzer
from review_bot.tools.golang import GoVetAnalyzer, StaticcheckAnalyzer
from review_bot.tools.hadolint import HadolintAnalyzer
from review_bot.tools.ruff import RuffAnalyzer
from review_bot.tools.sandbox import (
    ProcessRunner,
    SubprocessRunner,
    check_relative_path,
    materialize,
)
from review_bot.tools.secrets import SecretsAnalyzer
from review_bot.tools.semgrep import SemgrepAnalyzer
from review_bot.tools.shellcheck import ShellcheckAnalyzer
from review_bot.tools.suppressions import AddedSuppression, rewrite_suppressions
from review_bot.tools.workflows import ActionlintAnalyzer, ZizmorAnalyzer

__all__ = [
    "ANALYZER_NAMES",
    "AnalyzerCall",
    "ToolEvent",
    "ToolPhaseResult",
    "default_analyzers",
    "run_tools",
]

ANALYZER_NAMES = TOOL_NAMES  # config validates tool names against the same list

AnalyzerCall = Callable[[Analyzer, Sequence[FileChange], Path], Awaitable[AnalyzerResult]]
"""Wraps one analyzer run (caching, replay); gets the analyzer, its batch and the workdir."""

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ToolEvent(BaseModel):
    """Progress of one analyzer: ``tool.started`` then ``tool.finished``."""

    model_config = _FROZEN

    kind: Literal["tool.started", "tool.finished"]
    tool: str
    files: int
    status: Literal["running", "ok", "skipped", "failed"] = "running"
    findings: int = 0
    duration_s: float = 0.0
    reason: str = ""

    def data(self) -> dict[str, Any]:
        """The event's fields without ``kind``: ``sink.emit(e.kind, **e.data())``."""
        return self.model_dump(exclude={"kind"})


class ToolPhaseResult(BaseModel):
    """Everything the tools phase found, ran, skipped and failed at."""

    model_config = _FROZEN

    findings: tuple[Finding, ...] = ()
    runs: tuple[ToolRun, ...] = ()
    skipped: tuple[Skip, ...] = ()
    failures: tuple[Failure, ...] = ()
    # tool -> files it would look at but cannot here (e.g. TypeScript without its parser)
    unsupported: dict[str, tuple[str, ...]] = {}


def default_analyzers(config: ToolsConfig) -> list[Analyzer]:
    """Every analyzer ``config`` wants, with ``config.paths`` executable overrides."""
    paths = config.paths
    candidates: list[Analyzer] = [
        RuffAnalyzer(paths.get("ruff")),
        BanditAnalyzer(paths.get("bandit")),
        SemgrepAnalyzer(paths.get("semgrep"), rules=config.semgrep_rules),
        ShellcheckAnalyzer(paths.get("shellcheck")),
        EslintAnalyzer(paths.get("eslint")),
        SecretsAnalyzer(paths.get("secrets")),
        GoVetAnalyzer(paths.get("govet")),
        StaticcheckAnalyzer(paths.get("staticcheck")),
        ActionlintAnalyzer(paths.get("actionlint")),
        ZizmorAnalyzer(paths.get("zizmor")),
        HadolintAnalyzer(paths.get("hadolint")),
    ]
    return [a for a in candidates if config.wants(a.name)]


def _reviewable(change: ChangeSet) -> tuple[list[FileChange], list[Skip]]:
    files: list[FileChange] = []
    skipped: list[Skip] = []
    for file in change.files:
        if file.status == "deleted" or file.new_content is None or not file.added_lines:
            continue  # nothing on the new side for an analyzer (a deletion-only edit)
        try:
            check_relative_path(file.path)
        except InputError as exc:
            skipped.append(Skip(kind="file", name=file.path, reason=str(exc)))
            continue
        files.append(file)
    return files, skipped


def _materialize_context(change: ChangeSet, written: set[str], workdir: Path) -> None:
    """Write the change's context files (a Go package's other files) beside the changed
    ones: analyzers that load whole packages read them; none is given one as a target."""
    extra = [
        FileChange(path=c.path, status="added", new_content=c.content)
        for c in change.context
        if c.path not in written
    ]
    usable = []
    for file in extra:
        try:
            check_relative_path(file.path)
        except InputError:
            continue  # a name no analyzer could be given; it is context, not the change
        usable.append(file)
    materialize(usable, workdir)


async def run_tools(
    change: ChangeSet,
    config: ToolsConfig,
    *,
    runner: ProcessRunner | None = None,
    call: AnalyzerCall | None = None,
    on_event: Callable[[ToolEvent], None] | None = None,
    analyzers: Sequence[Analyzer] | None = None,
) -> ToolPhaseResult:
    """Run every applicable analyzer once over its files, concurrently.

    A missing tool becomes a Skip (kind ``tool``), a crashed/timed-out/garbled one a Failure
    (component ``tool:<name>``); neither raises. ``analyzers`` replaces the defaults. Every
    finding comes back with its measured confidence (:func:`~review_bot.tools.calibrate.calibrate`).
    """
    the_runner: ProcessRunner = runner or SubprocessRunner()
    chosen = list(analyzers) if analyzers is not None else default_analyzers(config)
    files, skipped = _reviewable(change)
    batches = [(a, [f for f in files if a.applies_to(f)]) for a in chosen]
    batches = [(a, batch) for a, batch in batches if batch]
    unsupported = _unsupported(chosen, files, skipped)
    if not batches:
        return ToolPhaseResult(skipped=tuple(skipped), unsupported=unsupported)

    def emit(event: ToolEvent) -> None:
        if on_event is not None:
            on_event(event)

    rewrites = {f.path: rewrite_suppressions(f) for f in files}
    workdir = Path(tempfile.mkdtemp(prefix="review-bot-tools-"))
    try:
        materialize(files, workdir, content=lambda f: rewrites[f.path].text)
        _materialize_context(change, {f.path for f in files}, workdir)
        results = await asyncio.gather(
            *(
                _run_one(a, batch, workdir, call=call, runner=the_runner, config=config, emit=emit)
                for a, batch in batches
            )
        )
    finally:
        await asyncio.to_thread(shutil.rmtree, workdir, True)
    phase = _collect(results, skipped)
    ran = {(a.name, f.path) for a, batch in batches for f in batch}
    notes = [
        _added_note(item)
        for rewrite in rewrites.values()
        for item in rewrite.added
        if (item.tool, item.path) in ran
    ]
    # measured confidences; heuristic secrets and test-file noise reclassified (calibrate.py)
    findings = (*calibrate(phase.findings, change), *calibrate(notes, change))
    return phase.model_copy(update={"findings": findings, "unsupported": unsupported})


async def _run_one(
    analyzer: Analyzer,
    batch: list[FileChange],
    workdir: Path,
    *,
    call: AnalyzerCall | None,
    runner: ProcessRunner,
    config: ToolsConfig,
    emit: Callable[[ToolEvent], None],
) -> AnalyzerResult:
    """One analyzer over its batch, between its ``tool.started`` and ``tool.finished``
    events; a ToolError becomes a failed run."""
    emit(ToolEvent(kind="tool.started", tool=analyzer.name, files=len(batch)))
    started = time.monotonic()
    try:
        if call is not None:
            result = await call(analyzer, batch, workdir)
        else:
            result = await analyzer.analyze(batch, workdir, runner, config)
    except ToolError as exc:
        run = ToolRun(
            tool=analyzer.name,
            status="failed",
            reason=str(exc),
            files=tuple(f.path for f in batch),
            duration_s=round(time.monotonic() - started, 3),
        )
        result = AnalyzerResult(run=run)
    emit(
        ToolEvent(
            kind="tool.finished",
            tool=analyzer.name,
            files=len(batch),
            status=result.run.status,
            findings=len(result.findings),
            duration_s=result.run.duration_s,
            reason=result.run.reason,
        )
    )
    return result


def _added_note(item: AddedSuppression) -> Finding:
    """The info finding that says a suppression the change adds hides nothing."""
    return Finding(
        path=item.path,
        line=item.line,
        end_line=item.line,
        severity="info",
        category="maintainability",
        rule_id="suppression-added",
        message=(
            f"This change adds a suppression for {item.describe()} ({item.tool}). Review Bot "
            "does not honour suppressions a change adds, so what it would hide is still "
            "reported; the base branch's suppressions keep working."
        ),
        sources=("tool:review-bot",),
    )


def _unsupported(
    analyzers: Sequence[Analyzer], files: Sequence[FileChange], skipped: list[Skip]
) -> dict[str, tuple[str, ...]]:
    """Files an analyzer would look at but cannot here; one ``tool`` Skip per analyzer."""
    out: dict[str, tuple[str, ...]] = {}
    for analyzer in analyzers:
        why = getattr(analyzer, "unsupported_reason", None)
        if why is None:
            continue
        reasons = {f.path: why(f) for f in files if not analyzer.applies_to(f)}
        paths = tuple(p for p, r in reasons.items() if r)
        if paths:
            out[analyzer.name] = paths
            first = next(r for r in reasons.values() if r)
            more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
            listed = ", ".join(paths[:3]) + more
            skipped.append(Skip(kind="tool", name=analyzer.name, reason=f"{listed}: {first}"))
    return out


def _collect(results: Sequence[AnalyzerResult], skipped: list[Skip]) -> ToolPhaseResult:
    findings: list[Finding] = []
    failures: list[Failure] = []
    for result in results:
        run = result.run
        findings.extend(result.findings)
        skipped.extend(result.file_skips)
        if run.status == "skipped":
            skipped.append(Skip(kind="tool", name=run.tool, reason=run.reason))
        elif run.status == "failed":
            failures.append(Failure(component=f"tool:{run.tool}", reason=run.reason))
    return ToolPhaseResult(
        findings=tuple(findings),
        runs=tuple(r.run for r in results),
        skipped=tuple(skipped),
        failures=tuple(failures),
    )

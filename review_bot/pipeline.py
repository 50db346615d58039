"""One review, start to finish: change → tools → agents → merge → Review.

This module owns the order of the steps and nothing else; each step lives in its own
package and is injected through :class:`Services`, so the CLI, the worker, the eval harness
and replay all run this same code path with different collaborators.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from review_bot.change import ChangeSet
from review_bot.config.models import ReviewConfig
from review_bot.controls import apply_finding_controls, filter_change
from review_bot.coverage import build_coverage
from review_bot.events import EventSink, NullSink
from review_bot.filtering import split_by_filter
from review_bot.findings import (
    Failure,
    Finding,
    Review,
    ReviewStats,
    Skip,
    assign_fingerprints,
    merge_findings,
    rank_findings,
)
from review_bot.redaction import Redactor
from review_bot.tools import AnalyzerCall, ProcessRunner, ToolPhaseResult, run_tools
from review_bot.tools.autofix import verify_tool_suggestions
from review_bot.tools.file_analyzer import ToolsFileAnalyzer

__all__ = ["AgentPhaseResult", "AgentRunner", "Services", "review", "review_sync"]

TOOLS_ONLY_HINT = (
    "Tools-only review: no model is configured. Set REVIEW_BOT_MODEL and OPENAI_API_KEY "
    "(and OPENAI_BASE_URL for a non-OpenAI server) to add the reviewer, security and coder agents."
)


class AgentPhaseResult(BaseModel):
    """What the agents added: findings (before filtering and merging), skips, failures, usage."""

    model_config = ConfigDict(frozen=True)

    findings: tuple[Finding, ...] = ()
    # the tools' findings after the agents' triage and fixes (None: use the tools' own)
    tool_findings: tuple[Finding, ...] | None = None
    skipped: tuple[Skip, ...] = ()
    failures: tuple[Failure, ...] = ()
    stats: dict[str, object] = {}
    summary: str = ""


class AgentRunner(Protocol):
    """Runs the agent conversation over a change (implemented in ``orchestration``)."""

    async def run(
        self,
        change: ChangeSet,
        tools: ToolPhaseResult,
        config: ReviewConfig,
        events: EventSink,
    ) -> AgentPhaseResult:
        """Review ``change`` with the agents, given the tools' findings."""


@dataclass(frozen=True)
class Services:
    """The collaborators of one review; every field has an embedded default.

    Attributes:
        events: receives progress and audit events.
        runner: runs tool processes (None: the sandboxed subprocess runner).
        analyzer_call: wraps each analyzer run (caching, replay); None runs it directly.
        agents: the agent conversation; None means a tools-only review.
        clock: monotonic seconds, injectable so replay can reproduce durations.
        transcript_location: where the review's transcript is stored (the Review says so).
        line_text: the new-side line text findings are fingerprinted by; None uses the
            change's own. The audit recorder passes the redacted change's, so fingerprints
            never depend on a secret's value and replay (which only has the redacted change)
            reproduces them.
        extra_stats: counters kept outside the pipeline (cache hits, retries), folded into
            the review's stats when it finishes.
        redactor: the review's (remembering) redactor, which has scanned the change once;
            None makes one. Everything the Review says (paths, messages, skips, failures,
            summary) is redacted with it.
    """

    events: EventSink = field(default_factory=NullSink)
    runner: ProcessRunner | None = None
    analyzer_call: AnalyzerCall | None = None
    agents: AgentRunner | None = None
    clock: Callable[[], float] = time.monotonic
    transcript_location: str | None = None
    line_text: Callable[[str, int], str | None] | None = None
    extra_stats: Callable[[], Mapping[str, object]] | None = None
    redactor: Redactor | None = None


async def review(
    change: ChangeSet, config: ReviewConfig | None = None, services: Services | None = None
) -> Review:
    """Review ``change`` and return the frozen :class:`Review`.

    Tools always run; the agents run when ``services.agents`` is set and the config does not
    ask for tools only. Failures of single tools or agents make the review partial, they do
    not abort it.
    """
    config = config or ReviewConfig()
    services = services or Services()
    events = services.events
    started = services.clock()
    events.emit(
        "review.started",
        change_hash=change.content_hash(),
        files=[f.path for f in change.files],
        config=config.model_dump(mode="json"),
    )
    change = filter_change(change, config.controls)  # the team's path filters

    tool_result = await run_tools(
        change,
        config.tools,
        runner=services.runner,
        call=services.analyzer_call,
        on_event=lambda event: events.emit(event.kind, **event.data()),
    )
    tool_result = await _verified_autofixes(change, tool_result, config, services)
    redactor = services.redactor or Redactor(remember=True)
    shown, _ = split_by_filter(tool_result.findings, change, config.filter_mode)
    if shown:  # live viewers see them now, before the agents' turn
        events.emit(
            "findings",
            source="tools",
            findings=[_redacted(f, redactor).model_dump(mode="json") for f in shown],
        )
    agent_result = AgentPhaseResult()
    use_agents = services.agents is not None and not config.tools_only
    if use_agents and services.agents is not None:
        agent_result = await services.agents.run(change, tool_result, config, events)

    tool_findings = agent_result.tool_findings
    if tool_findings is None:
        tool_findings = tool_result.findings
    kept, dropped = split_by_filter(
        (*tool_findings, *agent_result.findings), change, config.filter_mode
    )
    line_text = services.line_text or redactor.redact_change(change, everywhere=True).line_text
    # rule ignores, severity bounds and the baseline, before the cap
    merged, controlled = apply_finding_controls(merge_findings(kept), config.controls, line_text)
    capped = rank_findings(merged)[: config.max_findings]
    # some tools quote what they found (bandit B105 quotes a hard-coded password), and a
    # path can hold a token; fingerprints are taken on the redacted path and line text
    findings = tuple(assign_fingerprints([_redacted(f, redactor) for f in capped], line_text))

    skipped: list[Skip] = [Skip(kind="file", name=s.path, reason=s.reason) for s in change.skipped]
    skipped += [*tool_result.skipped, *agent_result.skipped, *controlled.skips()]
    skipped = [
        s.model_copy(update={"name": redactor.redact(s.name), "reason": redactor.redact(s.reason)})
        for s in skipped
    ]
    if len(merged) > len(capped):
        skipped.append(
            Skip(
                kind="findings",
                name=f"{len(merged) - len(capped)} findings",
                reason=f"over the cap of {config.max_findings} findings per review; "
                "the highest by severity x confidence were kept",
            )
        )
    failures = tuple(
        f.model_copy(update={"reason": redactor.redact(f.reason)})
        for f in (*tool_result.failures, *agent_result.failures)
    )
    mode = "agents" if use_agents else "tools-only"
    extra = dict(services.extra_stats()) if services.extra_stats else {}
    stats = ReviewStats(
        tool_runs=sum(1 for r in tool_result.runs if r.status != "skipped" and not r.cached),
        files_reviewed=len(change.files),
        findings_dropped_outside_change=len(dropped),
        findings_capped=len(merged) - len(capped),
        duration_s=round(services.clock() - started, 3),
        **{**extra, **agent_result.stats, **controlled.stats()},
    )
    coverage = build_coverage(change, tool_result.runs, tool_result.unsupported)
    head = _summary(
        findings, mode, failures, redactor.redact(agent_result.summary), total=len(merged)
    )
    summary = " ".join(p for p in (head, controlled.summary(), coverage.summary) if p)
    result = Review(
        mode=mode,
        findings=findings,
        summary=summary,
        stats=stats,
        skipped=tuple(skipped),
        failures=failures,
        partial=bool(failures),
        transcript=services.transcript_location,
        coverage=coverage,
    )
    events.emit("review.finished", review=result.model_dump(mode="json"))
    return result


def _redacted(finding: Finding, redactor: Redactor) -> Finding:
    return finding.model_copy(
        update={
            "path": redactor.redact(finding.path),
            "message": redactor.redact(finding.message),
            "suggestion": (
                redactor.redact(finding.suggestion) if finding.suggestion is not None else None
            ),
        }
    )


async def _verified_autofixes(
    change: ChangeSet, result: ToolPhaseResult, config: ReviewConfig, services: Services
) -> ToolPhaseResult:
    """The tools' findings keep their own autofixes only where the fix verifies."""
    if not any(f.suggestion is not None for f in result.findings):
        return result
    analyzer = ToolsFileAnalyzer(config.tools, runner=services.runner, call=services.analyzer_call)
    findings = await verify_tool_suggestions(change, result.findings, analyzer, services.events)
    return result.model_copy(update={"findings": findings})


def _summary(
    findings: tuple[Finding, ...],
    mode: str,
    failures: tuple[Failure, ...],
    agents: str,
    *,
    total: int,
) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    if findings:
        parts = ", ".join(f"{n} {sev}" for sev, n in counts.items())
        head = f"{len(findings)} finding{'s' if len(findings) != 1 else ''} ({parts})."
        if total > len(findings):
            head = (
                f"{len(findings)} of {total} findings shown ({parts}); the rest ranked "
                "lower by severity x confidence."
            )
    else:
        head = "No findings on the changed lines."
    lines = [head]
    if agents:
        lines.append(agents)
    if mode == "tools-only":
        lines.append(TOOLS_ONLY_HINT)
    if failures:
        names = ", ".join(sorted({f.component for f in failures}))
        lines.append(f"Partial review: {names} failed (see failures).")
    return " ".join(lines)


def review_sync(
    change: ChangeSet, config: ReviewConfig | None = None, services: Services | None = None
) -> Review:
    """Blocking wrapper around :func:`review` for callers without an event loop."""
    return asyncio.run(review(change, config, services))

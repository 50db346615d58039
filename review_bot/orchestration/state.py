"""The mutable state of one review's agent phase, and the result it folds into.

Kept apart from :mod:`.manager` (which runs the turns) so the merge rules read on their own:
a suggestion re-anchors its finding's range; the security agent's triage annotates a tool
finding, never drops it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from review_bot.agents.definitions import SECURITY
from review_bot.agents.schemas import Triage
from review_bot.agents.tools import ChangeTools
from review_bot.change import ChangeSet
from review_bot.config.models import ReviewConfig
from review_bot.events import EventSink
from review_bot.findings import Failure, Finding, Skip, combine_confidences, severity_at_least
from review_bot.llm.budget import UsageLedger
from review_bot.orchestration.turns import TurnStats
from review_bot.pipeline import AgentPhaseResult
from review_bot.suggestions import Anchored, Baselines

__all__ = ["ReviewState", "finding_key", "phase_result"]

# what a triage verdict (which states no confidence of its own) is worth
_CONFIRM_CONFIDENCE = 0.5
_REJECTED_CONFIDENCE = 0.2


@dataclass
class ReviewState:
    """Mutable state of one review's agent phase."""

    change: ChangeSet
    config: ReviewConfig
    events: EventSink
    ledger: UsageLedger
    tools: ChangeTools
    tool_ids: dict[str, Finding]
    findings: list[Finding] = field(default_factory=list)
    triage: dict[str, Triage] = field(default_factory=dict)
    suggestions: dict[str, Anchored] = field(default_factory=dict)
    skipped: list[Skip] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    off_change: int = 0
    turns: TurnStats = field(default_factory=TurnStats)
    summaries: list[str] = field(default_factory=list)
    # (role, chunk label) of turns that failed because the model could not be reached
    unreachable: set[tuple[str, str]] = field(default_factory=set)
    # the analyzers' findings on the unpatched files, shared by every chunk's fix checks
    baselines: Baselines = field(default_factory=Baselines)


def phase_result(state: ReviewState) -> AgentPhaseResult:
    """What the agent phase hands the pipeline: findings with their suggestions, the tools'
    findings after triage, skips, failures and the agents' stats."""
    findings = [_with_suggestion(f, state.suggestions.get(finding_key(f))) for f in state.findings]
    triaged = [
        _triaged(f, state.triage.get(ident), state.suggestions.get(ident))
        for ident, f in state.tool_ids.items()
    ]
    stats: dict[str, object] = {
        **state.ledger.stats(),
        "agent_findings_outside_change": state.off_change,
        "agent_corrective_retries": state.turns.corrective,
        "agent_corrective_failures": state.turns.corrective_failed,
        "agent_structured_turns": state.turns.structured,
    }
    summary = " ".join(dict.fromkeys(s.strip() for s in state.summaries if s.strip()))
    return AgentPhaseResult(
        findings=tuple(findings),
        tool_findings=tuple(triaged),
        skipped=tuple(state.skipped),
        failures=tuple(state.failures),
        stats=stats,
        summary=summary[:1_000],
    )


def finding_key(f: Finding) -> str:
    return f"{f.path}\0{f.line}\0{f.end_line}\0{f.rule_id}\0{f.sources}"


def _with_suggestion(f: Finding, suggestion: Anchored | None) -> Finding:
    """``f`` carrying ``suggestion``, its range re-anchored to the lines it replaces."""
    if suggestion is None:
        return f
    return f.model_copy(
        update={
            "line": suggestion.line,
            "end_line": suggestion.end_line,
            "suggestion": suggestion.replacement,
        }
    )


def _triaged(f: Finding, verdict: Triage | None, suggestion: Anchored | None) -> Finding:
    """A tool finding after the security agent's triage (never dropped on a model's word)."""
    f = _with_suggestion(f, suggestion)
    update: dict[str, Any] = {}
    if verdict is not None:
        update["sources"] = tuple(dict.fromkeys((*f.sources, SECURITY.source)))
        if verdict.verdict == "downgrade" and verdict.severity is not None:
            if severity_at_least(f.severity, verdict.severity):
                update["severity"] = verdict.severity
            update["message"] = f"{f.message} (security review: {verdict.reason})"
        elif verdict.verdict == "reject":
            update["severity"] = "info"
            update["message"] = (
                f"{f.message} (security review: likely false positive: {verdict.reason})"
            )
            update["confidence"] = min(f.confidence, _REJECTED_CONFIDENCE)
        elif verdict.verdict == "confirm":
            # an agent that agrees is a second, independent source (noisy-or)
            update["confidence"] = combine_confidences(
                [(",".join(f.sources), f.confidence), (SECURITY.source, _CONFIRM_CONFIDENCE)]
            )
    return f.model_copy(update=update) if update else f

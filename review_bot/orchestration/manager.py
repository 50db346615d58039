"""The conversation manager: chunks → (reviewer ∥ security) → coder → merged findings.

Per chunk, the reviewer and the security agent run concurrently (``asyncio.gather`` over two
fresh AutoGen agents, each with its own model client); the coder follows for the findings
worth fixing, and each patch is checked (:mod:`.fixes`) before it becomes a suggestion.
Chunks run concurrently up to ``max_concurrent_chunks``; a chunk's fix checks (tool runs) run
concurrently after it gives its slot back, so the slot bounds model turns only. A failing agent
costs only its own
chunk (``Failure(component="agent:<role>")``); a spent budget turns the remaining turns into
skips. Implements ``review_bot.pipeline.AgentRunner``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from review_bot.agents.client import ModelClient, ReviewModelClient
from review_bot.agents.definitions import CODER, REVIEWER, SECURITY, AgentSpec, make_agent
from review_bot.agents.openai_client import model_info
from review_bot.agents.schemas import (
    AgentFinding,
    CoderOutput,
    Patch,
    ReviewerOutput,
    SecurityOutput,
)
from review_bot.agents.tools import ChangeTools, FileAnalyzer, numbered_lines
from review_bot.change import ChangeSet, FileChange
from review_bot.config.model import ModelConfig
from review_bot.config.models import ReviewConfig
from review_bot.errors import (
    ConfigError,
    DependencyUnavailable,
    ModelUnavailable,
    RateLimited,
    ReviewError,
)
from review_bot.events import EventSink
from review_bot.filtering import in_change
from review_bot.findings import Failure, Finding, Skip, severity_at_least
from review_bot.llm import (
    BudgetExhausted,
    CompletionCache,
    ModelPolicy,
    Redact,
    UsageLedger,
    direct,
)
from review_bot.llm.tracing import NullTracer, Tracer
from review_bot.orchestration.chunking import Chunk, plan_chunks
from review_bot.orchestration.fixes import check_fix
from review_bot.orchestration.state import ReviewState as _Review
from review_bot.orchestration.state import finding_key, phase_result
from review_bot.orchestration.turns import run_structured
from review_bot.pipeline import AgentPhaseResult
from review_bot.prompts import (
    Excerpt,
    FixRequest,
    ToolFindingRef,
    fix_prompt,
    review_prompt,
)
from review_bot.tokens import count_tokens

__all__ = ["ClientFactory", "ConversationManager", "ToolFindings"]

T = TypeVar("T", bound=BaseModel)
ClientFactory = Callable[[str], ModelClient]
"""Makes a NEW provider for one agent turn, given the role: an AutoGen client (never shared)
or a model of ours (replay's transcript model, which may serve every turn)."""

_FIX_CONTEXT = 8
_FIX_MIN_CONFIDENCE = 0.5
_PROMPT_OVERHEAD = 300  # tokens of chunk.md's own text and the excerpt labels
_MIN_EXCERPT_BUDGET = 500
# failures that say the model cannot be reached now (not that one answer was bad)
_UNREACHABLE = (ModelUnavailable, RateLimited, DependencyUnavailable)


@dataclass(frozen=True)
class _Scope:
    """What one chunk's agents see through their tools: its files, its tool findings' names."""

    paths: tuple[str, ...]
    ids: dict[str, str]  # review-wide tool-finding id -> the chunk's name for it


@dataclass(frozen=True)
class _Fix:
    """A coder patch waiting for its check, and the key its suggestion is stored under."""

    label: str
    target: Finding
    patch: Patch
    file: FileChange
    key: str


class ToolFindings(Protocol):
    """What the agents need of the tools phase (``review_bot.tools.ToolPhaseResult``)."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The tools' findings."""


class ConversationManager:
    """Runs reviewer, security and coder over a change (the pipeline's ``AgentRunner``).

    Args:
        model: the model and the review's budgets.
        client_factory: a NEW inner model client per agent turn (never shared).
        redact: replaces secrets in everything sent to the model.
        policy: runs each model call (the resilience stack); default direct.
        cache: completion cache; default none.
        analyzer: runs a named analyzer on one file (agent tool, fix checks); None: none.
        tracer: Langfuse or nothing.
    """

    def __init__(
        self,
        model: ModelConfig,
        client_factory: ClientFactory,
        *,
        redact: Redact,
        policy: ModelPolicy = direct,
        cache: CompletionCache | None = None,
        analyzer: FileAnalyzer | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self._model = model
        self._factory = client_factory
        self._redact = redact
        self._policy = policy
        self._cache = cache
        self._analyzer = analyzer
        self._tracer: Tracer = tracer or NullTracer()

    def _excerpt_budget(self, reserved: int = 0) -> int:
        """Tokens left for code after the system prompt, chunk.md and ``reserved`` (the
        repository's review instructions)."""
        largest_system = max(
            count_tokens(spec.system_prompt().text, self._model.model)
            for spec in (REVIEWER, SECURITY)
        )
        used = largest_system + _PROMPT_OVERHEAD + reserved
        budget = self._model.chunk_token_budget - used
        if budget < _MIN_EXCERPT_BUDGET:
            raise ConfigError(
                f"chunk_token_budget={self._model.chunk_token_budget!r} leaves {budget} tokens "
                f"for code after the {largest_system}-token system prompt and {reserved} tokens "
                f"of review instructions: raise it to at least {used + _MIN_EXCERPT_BUDGET}"
            )
        return budget

    async def run(
        self,
        change: ChangeSet,
        tools: ToolFindings,
        config: ReviewConfig,
        events: EventSink,
    ) -> AgentPhaseResult:
        """Review ``change`` with the agents; never raises for a single agent's failure."""
        ledger = UsageLedger(
            token_budget=self._model.token_budget,
            turn_cap=self._model.turn_cap,
            prompt_price_per_mtok=self._model.prompt_price_per_mtok,
            completion_price_per_mtok=self._model.completion_price_per_mtok,
        )
        tool_ids = {f"T{i + 1}": f for i, f in enumerate(tools.findings)}
        state = _Review(
            change=change,
            config=config,
            events=events,
            ledger=ledger,
            tools=ChangeTools(change, tool_ids, self._analyzer, events, self._tracer),
            tool_ids=tool_ids,
        )
        asks = config.controls.instructions.for_paths([f.path for f in change.files])
        reserved = sum(count_tokens(text, self._model.model) + _PROMPT_OVERHEAD for _, text in asks)
        budget = self._excerpt_budget(reserved)
        # findings get a quarter of the excerpt budget, excerpts the rest
        chunks, skips = plan_chunks(change, budget - budget // 4, model=self._model.model)
        state.skipped.extend(skips)
        events.emit("agents.planned", chunks=len(chunks), skipped_hunks=len(skips))
        gate = asyncio.Semaphore(self._model.max_concurrent_chunks)

        async def one(chunk: Chunk) -> None:
            async with gate:
                fixes = await self._chunk(state, chunk, budget // 4)
            # the tools re-run outside the slot: it bounds model turns, not analyzer runs
            await asyncio.gather(*(self._check(state, fix) for fix in fixes))

        with self._tracer.observe(
            "review", "agent", metadata={"files": len(change.files), "chunks": len(chunks)}
        ):
            await asyncio.gather(*(one(c) for c in chunks))
        self._tracer.flush()
        return self._result(state)

    # -- one chunk ---------------------------------------------------------------------------

    async def _chunk(self, state: _Review, chunk: Chunk, findings_budget: int) -> list[_Fix]:
        """The chunk's turns; returns the coder's patches, still to be checked."""
        label = chunk.label
        refs, local = self._tool_refs(state, chunk, findings_budget)
        scope = _Scope(chunk.paths, {g: ident for ident, g in local.items()})
        excerpts = list(chunk.excerpts)
        asks = state.config.controls.instructions.for_paths(list(chunk.paths))
        reviewer_task, security_task = (
            review_prompt(role, excerpts, refs, instructions=asks).text
            for role in ("reviewer", "security")
        )
        reviewer, security = await asyncio.gather(
            self._turn(state, REVIEWER, label, reviewer_task, ReviewerOutput, scope=scope),
            self._turn(state, SECURITY, label, security_task, SecurityOutput, scope=scope),
        )
        found: list[Finding] = []
        for spec, output in ((REVIEWER, reviewer), (SECURITY, security)):
            if output is None:
                continue
            assert isinstance(output, ReviewerOutput | SecurityOutput)
            found += self._accept(state, spec, output.findings)
            if output.summary:
                state.summaries.append(output.summary)
        if isinstance(security, SecurityOutput):
            for verdict in security.triage:
                if verdict.id in local:
                    state.triage[local[verdict.id]] = verdict
        state.findings.extend(found)
        if found:  # live viewers see each chunk's findings as it is done
            state.events.emit(
                "findings",
                source="agents",
                chunk=label,
                findings=[f.model_dump(mode="json") for f in found],
            )
        if {(REVIEWER.role, label), (SECURITY.role, label)} <= state.unreachable:
            state.skipped.append(
                Skip(
                    kind="agent",
                    name=f"{CODER.role} chunk {label}",
                    reason="the reviewer and the security agent both failed on an unavailable "
                    "model; the coder would ask the same model",
                )
            )
            return []
        return await self._fix(state, chunk, label, found, local)

    def _tool_refs(
        self, state: _Review, chunk: Chunk, budget: int
    ) -> tuple[list[ToolFindingRef], dict[str, str]]:
        """The tool findings shown with the chunk, named ``T1``… in the chunk's own order
        (so the names depend on nothing outside it), and those names' review-wide ids."""
        refs: list[ToolFindingRef] = []
        local: dict[str, str] = {}
        used = 0
        for ident, f in state.tool_ids.items():
            if not chunk.covers(f.path, f.line, f.end_line):
                continue
            ref = ToolFindingRef(
                id=f"T{len(refs) + 1}",
                path=f.path,
                line=f.line,
                end_line=f.end_line,
                severity=f.severity,
                rule_id=f.rule_id,
                source=",".join(f.sources),
                message=f.message,
            )
            size = count_tokens(f"{ref}", self._model.model)
            if used + size > budget:
                break
            refs.append(ref)
            local[ref.id] = ident
            used += size
        return refs, local

    def _accept(
        self, state: _Review, spec: AgentSpec, proposed: Sequence[AgentFinding]
    ) -> list[Finding]:
        """Agent findings as Findings, minus (and counting) those off the change."""
        kept = []
        for item in proposed:
            finding = Finding(
                path=item.path,
                line=item.line,
                end_line=item.end_line or item.line,
                severity=item.severity,
                category=item.category,
                rule_id=item.rule_id,
                message=item.message,
                sources=(spec.source,),
                cwe=tuple(item.cwe),
                # merging with a tool that agrees raises it (noisy-or, findings.merge_findings)
                confidence=item.confidence,
            )
            if in_change(finding, state.change, state.config.filter_mode):
                kept.append(finding)
            else:
                state.off_change += 1
        return kept

    async def _turn(
        self,
        state: _Review,
        spec: AgentSpec,
        label: str,
        task: str,
        schema: type[T],
        *,
        scope: _Scope | None = None,
    ) -> T | None:
        """One agent's turn on one chunk; failures and budget stops are recorded, not raised."""
        reason = state.ledger.exhausted()
        if reason is not None:
            state.skipped.append(
                Skip(kind="agent", name=f"{spec.role} chunk {label}", reason=reason)
            )
            return None
        client = ReviewModelClient(
            self._factory(spec.role),
            agent=spec.role,
            model=self._model.model,
            redact=self._redact,
            events=state.events,
            ledger=state.ledger,
            policy=self._policy,
            cache=self._cache,
            tracer=self._tracer,
            labels={"chunk": label},
            cache_scope=self._cache_scope(spec),
            output_schema=schema if self._model.model_info.structured_output else None,
            model_info=model_info(self._model),
            context_window=self._model.model_info.context_window,
        )
        state.turns.structured += int(self._model.model_info.structured_output)
        tools = (
            state.tools.for_agent(spec.role, scope.paths, scope.ids)
            if spec.uses_tools and scope is not None
            else []
        )
        agent = make_agent(spec, client, tools, max_tool_iterations=self._model.max_tool_iterations)
        state.events.emit("agent.started", agent=spec.role, chunk=label)
        status = "ok"
        try:
            with self._tracer.observe(f"{spec.role} chunk {label}", "agent"):
                return await run_structured(agent, task, schema, state.turns)
        except BudgetExhausted as exc:
            status = "skipped"
            state.skipped.append(
                Skip(kind="agent", name=f"{spec.role} chunk {label}", reason=str(exc))
            )
            return None
        except ReviewError as exc:
            status = "failed"
            if isinstance(exc, _UNREACHABLE):
                state.unreachable.add((spec.role, label))
            state.failures.append(Failure(component=spec.source, reason=f"chunk {label}: {exc}"))
            return None
        finally:
            await client.close()
            state.events.emit("agent.finished", agent=spec.role, chunk=label, status=status)

    def _cache_scope(self, spec: AgentSpec) -> dict[str, Any]:
        return {
            "provider": self._model.base_url or "openai",
            "temperature": self._model.temperature,
            "prompt_version": spec.system_prompt().version,
        }

    # -- the coder ---------------------------------------------------------------------------

    async def _fix(
        self,
        state: _Review,
        chunk: Chunk,
        label: str,
        found: list[Finding],
        local: dict[str, str],
    ) -> list[_Fix]:
        """The coder's turn for the chunk's findings worth fixing; its patches, unchecked."""
        if self._model.max_fixes_per_chunk == 0:
            return []
        candidates: dict[str, Finding] = {}
        for i, f in enumerate(found):
            if severity_at_least(f.severity, "medium"):
                candidates[f"F{i + 1}"] = f
        for ident, review_id in local.items():
            f = state.tool_ids[review_id]
            verdict = state.triage.get(review_id)
            if verdict is not None and verdict.verdict == "reject":
                continue
            if severity_at_least(f.severity, "medium") and in_change(
                f, state.change, state.config.filter_mode
            ):
                candidates[ident] = f
        chosen = dict(list(candidates.items())[: self._model.max_fixes_per_chunk])
        requests = []
        for ident, f in chosen.items():
            file = state.change.file(f.path)
            if file is None or file.new_content is None:
                continue
            first, last = max(1, f.line - _FIX_CONTEXT), f.end_line + _FIX_CONTEXT
            body = numbered_lines(file, first, last)
            last = min(last, len(file.new_content.splitlines()))
            excerpt = Excerpt(f.path, file.language, first, last, body)
            requests.append(
                FixRequest(
                    ident, f.path, f.line, f.end_line, f.severity, f.rule_id, f.message, excerpt
                )
            )
        if not requests:
            return []
        output = await self._turn(state, CODER, label, fix_prompt(requests).text, CoderOutput)
        if output is None:
            return []
        fixes: list[_Fix] = []
        for patch in output.patches:
            target = chosen.get(patch.finding_id)
            file = state.change.file(patch.path)
            if target is not None and file is not None:
                key = local.get(patch.finding_id) or finding_key(target)
                fixes.append(_Fix(label, target, patch, file, key))
        return fixes

    async def _check(self, state: _Review, fix: _Fix) -> None:
        """Check one patch (:func:`.fixes.check_fix`); a clean one becomes a suggestion."""
        check = await check_fix(fix.target, fix.patch, fix.file, self._analyzer, state.baselines)
        state.events.emit(
            "agent.fix",
            chunk=fix.label,
            finding=fix.patch.finding_id,
            path=fix.patch.path,
            accepted=check.suggestion is not None,
            reason=check.reason,
        )
        if check.suggestion is not None:
            state.suggestions[fix.key] = check.suggestion

    def _result(self, state: _Review) -> AgentPhaseResult:
        return phase_result(state)

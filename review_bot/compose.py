"""The composition root: turn settings into the collaborators of a review, and run it.

Entry points (CLI, worker, eval harness) build one :class:`Runtime` per process (policies,
cache, transcript store are shared by every review of the process, so bulkheads and breakers
see all the traffic) and call :meth:`Runtime.review` per change. Nothing below this module
constructs clients, stores or policies on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from review_bot import change as change_mod
from review_bot.audit.recording import record_review
from review_bot.audit.retention import Retention
from review_bot.audit.signing import Signer
from review_bot.audit.stores import open_store
from review_bot.cache import build_cache
from review_bot.cache.completions import TieredCompletionCache, completion_cache
from review_bot.cache.keys import repo_tag
from review_bot.cache.store import CacheAccess, CacheStats
from review_bot.cache.tiered import TieredCache
from review_bot.cache.tools import caching_analyzer_call
from review_bot.change import ChangeSet
from review_bot.config.model import ModelConfig
from review_bot.config.models import ReviewConfig
from review_bot.config.settings import Settings
from review_bot.errors import DependencyUnavailable, ToolError
from review_bot.events import EventSink, FanOut, NullSink
from review_bot.findings import Finding, Review
from review_bot.llm import Model, ModelResponse
from review_bot.ownership import Owner
from review_bot.pipeline import AgentPhaseResult, AgentRunner, Services, review
from review_bot.redaction import Redactor
from review_bot.resilience import Deadline, PolicyRegistry, ResilienceScope
from review_bot.tools import AnalyzerCall
from review_bot.tools.base import Analyzer, AnalyzerResult
from review_bot.tools.registry import ToolPhaseResult
from review_bot.tools.sandbox import ProcessRunner, SubprocessRunner
from review_bot.tracing import TraceContext, Tracing, build_tracing, span_sink
from review_bot.tracing.cache import TracedCache

if TYPE_CHECKING:  # the agents stack (agent runtime, openai) loads only when a model is set
    from review_bot.agents.analyzers import ToolsFileAnalyzer

__all__ = ["Runtime", "example_change", "read_tree", "replay_agents"]

EXAMPLE = "inventory"


def read_tree(root: Path) -> dict[str, str]:
    """Every regular file under ``root`` as ``{relative posix path: text}``."""
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
            rel = path.relative_to(root).as_posix()
            files[rel] = path.read_bytes().decode("utf-8", "replace")
    return files


def example_change(name: str = EXAMPLE) -> ChangeSet:
    """The bundled example change (``review_bot/examples/<name>/{before,after}``)."""
    base = resources.files("review_bot.examples").joinpath(name)
    with resources.as_file(base) as root:
        before = read_tree(Path(root) / "before")
        after = read_tree(Path(root) / "after")
    return change_mod.from_files(before, after)


def _guarded_call(
    inner: AnalyzerCall, policies: PolicyRegistry, scope: ResilienceScope
) -> AnalyzerCall:
    """Each analyzer run goes through its ``tool:<name>`` policy (deadline, bulkhead, breaker).

    A refusal by the policy becomes a ToolError, which the tools phase records as that tool's
    failure; the other tools go on.
    """

    async def call(analyzer: Analyzer, files: Any, workdir: Path) -> AnalyzerResult:
        async def run() -> AnalyzerResult:
            return await inner(analyzer, files, workdir)

        try:
            return await policies.call(f"tool:{analyzer.name}", run, scope)
        except DependencyUnavailable as exc:
            raise ToolError(f"{analyzer.name}: {exc}") from exc

    return call


@dataclass(frozen=True)
class _RedactedAgents:
    """The agents see only the redacted change and redacted tool-finding messages.

    Their prompts (including the data markers keyed by a hash of the text they wrap) are then
    a function of redacted text alone: no secret reaches the model, not even hashed, and a
    replay, which only has the transcript's redacted change, asks the very same questions.
    """

    inner: AgentRunner
    redactor: Redactor

    async def run(
        self, change: ChangeSet, tools: ToolPhaseResult, config: ReviewConfig, events: EventSink
    ) -> AgentPhaseResult:
        redacted = self.redactor.redact_change(change, everywhere=True)
        real = {r.path: f.path for r, f in zip(redacted.files, change.files, strict=True)}
        findings = tuple(
            f.model_copy(
                update={
                    "path": self.redactor.redact(f.path),
                    "message": self.redactor.redact(f.message),
                }
            )
            for f in tools.findings
        )
        safe_tools = tools.model_copy(update={"findings": findings})
        result = await self.inner.run(redacted, safe_tools, config, events)

        # the agents name files by their redacted paths; the pipeline filters on real ones
        def back(found: tuple[Finding, ...]) -> tuple[Finding, ...]:
            return tuple(f.model_copy(update={"path": real.get(f.path, f.path)}) for f in found)

        tool_findings = result.tool_findings
        return result.model_copy(
            update={
                "findings": back(result.findings),
                "tool_findings": None if tool_findings is None else back(tool_findings),
            }
        )


class _BindableCall:
    """An analyzer call that can be re-pointed once the review's recorder exists.

    The agents' analyzer is built before ``record_review`` wraps the analyzer call with its
    recorder; through this indirection the agents' tool runs (``run_analyzer``, fix checks)
    are recorded like the tools phase's, so replay can serve them.
    """

    def __init__(self, target: AnalyzerCall) -> None:
        self.target = target

    def bind(self, target: AnalyzerCall) -> None:
        self.target = target

    async def __call__(self, analyzer: Analyzer, files: Any, workdir: Path) -> AnalyzerResult:
        return await self.target(analyzer, files, workdir)


def model_settings(model: ModelConfig) -> dict[str, Any]:
    """What a transcript keeps of the model (never the key), enough to rebuild the agents."""
    return model.model_dump(mode="json", exclude={"api_key"})


def _agents(
    model: ModelConfig,
    *,
    redactor: Redactor,
    policies: PolicyRegistry | None,
    scope: ResilienceScope | None,
    cache: TieredCompletionCache[ModelResponse] | None,
    analyzer: ToolsFileAnalyzer,
    settings: Settings | None,
    client: Model | None = None,
) -> AgentRunner | None:
    from review_bot.llm.tracing import build_tracer
    from review_bot.orchestration import build_agent_runner

    dependency = f"llm:{model.base_url or 'openai'}:{model.model}"

    async def policy(fn: Any) -> Any:
        if policies is None:
            return await fn()
        return await policies.call(dependency, fn, scope)

    tracer = None
    if settings is not None and settings.langfuse.enabled:
        lf = settings.langfuse
        tracer = build_tracer(lf.public_key, lf.secret_key, lf.host)
    return build_agent_runner(
        model,
        redact=redactor.redact,
        client_factory=(lambda role: client) if client is not None else None,
        policy=policy,
        cache=cache,
        analyzer=analyzer,
        tracer=tracer,
    )


def replay_agents(
    client: Model,
    config: ReviewConfig,
    settings: Mapping[str, Any],
    analyzer_call: AnalyzerCall | None = None,
) -> AgentRunner:
    """Agents for replay: the recorded model settings, answers served by ``client``, and
    their analyzer runs served by ``analyzer_call`` (the transcript's tool runs)."""
    from review_bot.agents.analyzers import ToolsFileAnalyzer

    model = ModelConfig.model_validate(dict(settings))
    runner = _agents(
        model,
        redactor=Redactor(remember=True),
        policies=None,
        scope=None,
        cache=None,
        analyzer=ToolsFileAnalyzer(config.tools, call=analyzer_call),
        settings=None,
        client=client,
    )
    assert runner is not None
    return runner


@dataclass
class Runtime:
    """The process-wide collaborators built from :class:`Settings`.

    Attributes:
        settings: what the process was configured with.
        policies: one resilience policy per dependency, shared by all reviews.
        cache: completions and tool outputs (None when caching is disabled).
        runner: the sandboxed tool process runner.
    """

    settings: Settings
    policies: PolicyRegistry
    cache: TieredCache | None
    runner: ProcessRunner = field(default_factory=SubprocessRunner)
    tracing: Tracing | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, testing: bool = False, tracing: Tracing | None = None
    ) -> Runtime:
        """Build the policies and the cache (nothing connects until first use).

        ``tracing`` shares a tracer the process already has (the service's); by default the
        runtime builds its own from ``settings.tracing``.
        """
        cache = build_cache(settings.cache) if settings.cache.enabled else None
        policies = PolicyRegistry(settings.resilience, testing=testing)
        tracer = tracing if tracing is not None else build_tracing(settings.tracing)
        return cls(settings, policies, cache, tracing=tracer)

    async def aclose(self) -> None:
        """Release connections."""
        if self.cache is not None:
            await self.cache.close()
        self.policies.close()
        if self.tracing is not None:
            self.tracing.close()

    async def review(
        self,
        change: ChangeSet,
        config: ReviewConfig | None = None,
        *,
        events: EventSink | None = None,
        record: bool | None = None,
        trace: TraceContext | None = None,
        owner: Owner | None = None,
    ) -> Review:
        """Review ``change`` with every configured collaborator; recorded when audit is on.

        ``trace`` continues a trace started elsewhere (the webhook that queued the job) and
        names the review's span attributes. ``owner`` (repository, subject) goes into the
        transcript and tags the cache entries, so both can be erased by either.
        """
        settings = self.settings
        config = config or settings.review
        events = events or NullSink()
        cache: CacheAccess | None = self.cache
        if self.tracing is not None:
            sink = span_sink(self.tracing, trace)
            events = FanOut([events, sink])
            if cache is not None:
                cache = TracedCache(cache, self.tracing.tracer, sink.context, sink.attributes)
        tags = (repo_tag(owner.repo),) if owner is not None and owner.repo else ()
        deadline = Deadline(config.deadline_s)
        scope = self.policies.scope(deadline, events)
        cache_stats = CacheStats()
        runner = self.runner
        tools_config = config.tools

        async def direct(analyzer: Analyzer, files: Any, workdir: Path) -> AnalyzerResult:
            return await analyzer.analyze(files, workdir, runner, tools_config)

        # the change is scanned for secrets once; everything below redacts with this redactor
        redactor = Redactor(remember=True)
        redacted_change = redactor.redact_change(change, everywhere=True)
        inner: AnalyzerCall = direct
        if cache is not None:
            inner = caching_analyzer_call(
                cache,
                self.runner,
                config.tools,
                ttl_s=settings.cache.tool_ttl_s,
                tags=tags,
                stats=cache_stats,
                redact=redactor.redact,
            )
        analyzer_call = _guarded_call(inner, self.policies, scope)
        agents_call = _BindableCall(analyzer_call)
        agents: AgentRunner | None = None
        packages: tuple[str, ...] = ()
        model = settings.model
        if model is not None and not config.tools_only:
            from review_bot.agents._runtime import RUNTIME_PACKAGES
            from review_bot.agents.analyzers import ToolsFileAnalyzer

            packages = RUNTIME_PACKAGES

            completions = (
                completion_cache(
                    cache, ttl_s=settings.cache.completion_ttl_s, stats=cache_stats, tags=tags
                )
                if cache is not None
                else None
            )
            agents = _agents(
                model,
                redactor=redactor,
                policies=self.policies,
                scope=scope,
                cache=completions,
                analyzer=ToolsFileAnalyzer(config.tools, runner=self.runner, call=agents_call),
                settings=settings,
            )
            if agents is not None:
                agents = _RedactedAgents(agents, redactor)

        def extra_stats() -> dict[str, object]:
            resilience = {f"resilience_{k}": v for k, v in scope.stats.as_review_stats().items()}
            return {**resilience, **cache_stats.as_review_stats()}

        services = Services(
            events=events,
            runner=self.runner,
            analyzer_call=analyzer_call,
            agents=agents,
            extra_stats=extra_stats,
            # fingerprints on the same redacted text whether or not the review is recorded;
            # the redactor keeps that redaction for the agents and the recorder
            line_text=redacted_change.line_text,
            redactor=redactor,
        )
        do_record = settings.audit.enabled if record is None else record
        if not do_record:
            return await review(change, config, services)
        audit = settings.audit
        retention = Retention(audit.retention_days or None, audit.max_total_mb or None)
        store = open_store(audit.transcripts, retention)
        key = audit.signing_key()
        try:
            return await record_review(
                change,
                config,
                services,
                store,
                redactor=redactor,
                model_settings=model_settings(model) if agents is not None and model else None,
                fsync_on=settings.audit.fsync_on,
                bind_analyzer_call=agents_call.bind,
                signer=Signer(*key) if key else None,
                packages=packages,
                owner=owner.labels() if owner is not None else None,
            )
        finally:
            store.close()  # a PostgreSQL store holds a connection per review

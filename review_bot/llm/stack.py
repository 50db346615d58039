"""The one place a model call's layers are put together: redact → record → budget → cache →
policy → provider."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from review_bot.events import EventSink
from review_bot.llm.budget import UsageLedger
from review_bot.llm.tracing import Tracer
from review_bot.llm.types import Model, ModelPolicy
from review_bot.llm.wrappers import (
    Budgeted,
    Cached,
    CompletionCache,
    Guarded,
    Recording,
    Redact,
    Redacting,
    direct,
)

__all__ = ["assemble"]


def assemble(
    provider: Model,
    *,
    agent: str,
    model: str,
    redact: Redact,
    events: EventSink,
    ledger: UsageLedger,
    policy: ModelPolicy = direct,
    cache: CompletionCache | None = None,
    cache_scope: Mapping[str, Any] | None = None,
    tracer: Tracer | None = None,
    labels: Mapping[str, Any] | None = None,
) -> Model:
    """``provider`` behind the review's layers, for one agent turn.

    Args:
        provider: the model itself (an SDK adapter, a transcript, a scripted fake).
        agent: the role name (``reviewer``, ``security``, ``coder``) for stats and events.
        model: the model name (events, cache keys).
        redact: replaces secrets in outgoing text.
        events: receives ``model.request`` / ``model.response``.
        ledger: the review's usage and caps.
        policy: runs the call (deadline, bulkhead, breaker, retry); default direct.
        cache: completions cache; default none.
        cache_scope: what else the answer depends on (provider URL, temperature, prompt
            version): part of the cache key.
        tracer: traces a generation per call.
        labels: extra event fields (``chunk``), JSON-serialisable.
    """
    layered: Model = Guarded(provider, policy, f"model {model!r}")
    if cache is not None:
        layered = Cached(layered, cache, model=model, scope=cache_scope or {})
    layered = Budgeted(layered, ledger, agent)
    layered = Recording(layered, events, agent=agent, model=model, labels=labels, tracer=tracer)
    return Redacting(layered, redact)

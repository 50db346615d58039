"""The conversation manager: chunking, concurrent agents, coder checks, budgets, merge.

:func:`build_agent_runner` is what entry points call: no model configured → None → the
pipeline runs tools-only.
"""

from __future__ import annotations

from review_bot.agents.openai_client import openai_client_factory
from review_bot.agents.tools import FileAnalyzer
from review_bot.config.model import ModelConfig
from review_bot.llm import CompletionCache, ModelPolicy, Redact, direct
from review_bot.llm.tracing import Tracer
from review_bot.orchestration.chunking import Chunk, plan_chunks
from review_bot.orchestration.manager import ClientFactory, ConversationManager

__all__ = ["Chunk", "ClientFactory", "ConversationManager", "build_agent_runner", "plan_chunks"]


def build_agent_runner(
    model: ModelConfig | None,
    *,
    redact: Redact,
    client_factory: ClientFactory | None = None,
    policy: ModelPolicy = direct,
    cache: CompletionCache | None = None,
    analyzer: FileAnalyzer | None = None,
    tracer: Tracer | None = None,
) -> ConversationManager | None:
    """The agent runner for ``model``, or None when no model is configured (tools-only).

    Args:
        model: from ``ModelConfig.from_env``; None means tools-only.
        redact: ``Redactor().redact`` (required: nothing reaches a model unredacted).
        client_factory: a new provider per agent turn; default an OpenAI-compatible
            client from ``model`` (replay passes the transcript's model).
        policy: the resilience stack for the model dependency.
        cache: the completion cache.
        analyzer: lets agents and the fix checker run analyzers on one file.
        tracer: Langfuse tracer (``llm.tracing.build_tracer``) or None.
    """
    if model is None:
        return None
    return ConversationManager(
        model,
        client_factory or openai_client_factory(model),
        redact=redact,
        policy=policy,
        cache=cache,
        analyzer=analyzer,
        tracer=tracer,
    )

"""The one door every model call goes through: redact → record → budget → cache → policy.

:class:`ReviewModelClient` is an AutoGen ``ChatCompletionClient`` that wraps the real one
(OpenAI-compatible, a replay client, a scripted fake). For each call it

1. redacts every outgoing message (secrets never leave the process),
2. emits ``model.request`` / ``model.response`` events for the transcript,
3. claims a turn from the review's :class:`UsageLedger` (token and turn caps),
4. asks the injected cache (default: none), and on a miss
5. runs the call through the injected policy (default: call directly), translating OpenAI
   SDK errors into ours so the policy can retry the retryable ones,
6. records usage and cost, and traces a generation.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

from autogen_core import CancellationToken
from autogen_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelCapabilities,
    ModelInfo,
    SystemMessage,
    UserMessage,
)
from autogen_core.tools import Tool, ToolSchema
from pydantic import BaseModel

from review_bot.agents.answers import complete_answer, malformed_answers
from review_bot.agents.tracing import NullTracer, Tracer
from review_bot.agents.usage import UsageLedger
from review_bot.agents.wire import OneShotClient, model_request, result_content, tool_schemas
from review_bot.events import EventSink
from review_bot.resilience.openai_errors import translate_openai_errors
from review_bot.tokens import count_tokens

__all__ = [
    "CompletionCache",
    "ModelClient",
    "ModelPolicy",
    "Redact",
    "ReviewModelClient",
    "direct",
]

ModelClient = ChatCompletionClient
"""The agent runtime's model-client interface, by a name of ours (the composition root and
replay pass clients through without knowing the runtime)."""

Redact = Callable[[str], str]
ModelCall = Callable[[], Awaitable[CreateResult]]
ModelPolicy = Callable[[ModelCall], Awaitable[CreateResult]]


class CompletionCache(Protocol):
    """Content-addressed completions: ``key`` holds everything the answer depends on."""

    async def get_or_create(self, key: Mapping[str, Any], create: ModelCall) -> CreateResult:
        """The cached answer for ``key``, or ``create()``'s (stored for next time)."""


async def direct(call: ModelCall) -> CreateResult:
    """The default policy: just make the call."""
    return await call()


def _redact_message(message: LLMMessage, redact: Redact) -> LLMMessage:
    if isinstance(message, SystemMessage):
        return message.model_copy(update={"content": redact(message.content)})
    if isinstance(message, UserMessage):
        if isinstance(message.content, str):
            return message.model_copy(update={"content": redact(message.content)})
        parts = [redact(p) if isinstance(p, str) else p for p in message.content]
        return message.model_copy(update={"content": parts})
    if isinstance(message, AssistantMessage):
        thought = redact(message.thought) if message.thought else message.thought
        if isinstance(message.content, str):
            return message.model_copy(
                update={"content": redact(message.content), "thought": thought}
            )
        calls = [dataclasses.replace(c, arguments=redact(c.arguments)) for c in message.content]
        return message.model_copy(update={"content": calls, "thought": thought})
    results = [r.model_copy(update={"content": redact(r.content)}) for r in message.content]
    return FunctionExecutionResultMessage(content=results)


class ReviewModelClient(OneShotClient):
    """Wraps one agent's model client; give every agent its own instance.

    Args:
        inner: the client that talks to the model (never shared between agents).
        agent: the role name (``reviewer``, ``security``, ``coder``) for stats and events.
        model: the model name (cache keys, events, token counting).
        redact: replaces secrets in outgoing text.
        events: receives ``model.request`` / ``model.response``.
        ledger: the review's usage and caps.
        policy: runs the call (deadline, bulkhead, breaker, retry); default direct.
        cache: completions cache; default none.
        tracer: traces a generation per call.
        labels: extra event fields (``chunk``), JSON-serialisable.
        cache_scope: what else the answer depends on (provider URL, temperature, prompt
            version): part of the cache key.
        output_schema: ask for every answer as this schema (structured output), unless the
            caller asks for an output format itself; None: the prompt's schema only.
    """

    def __init__(
        self,
        inner: ChatCompletionClient,
        *,
        agent: str,
        model: str,
        redact: Redact,
        events: EventSink,
        ledger: UsageLedger,
        policy: ModelPolicy = direct,
        cache: CompletionCache | None = None,
        tracer: Tracer | None = None,
        labels: Mapping[str, Any] | None = None,
        cache_scope: Mapping[str, Any] | None = None,
        output_schema: type[BaseModel] | None = None,
    ) -> None:
        self._inner = inner
        self._agent = agent
        self._model = model
        self._redact = redact
        self._events = events
        self._ledger = ledger
        self._policy = policy
        self._cache = cache
        self._tracer: Tracer = tracer or NullTracer()
        self._labels = dict(labels or {})
        self._scope = dict(cache_scope or {})
        self._schema = output_schema
        self._seq = itertools.count(1)

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        """Redact, record, and make (or fetch from the cache) one completion."""
        if json_output is None and self._schema is not None:
            json_output = self._schema
        redacted = [_redact_message(m, self._redact) for m in messages]
        seq = next(self._seq)
        request = {
            "model": self._model,
            **model_request(redacted, tools, tool_choice, json_output),
            "extra": {
                k: v for k, v in extra_create_args.items() if isinstance(v, str | int | float)
            },
        }
        self._events.emit("model.request", agent=self._agent, seq=seq, **self._labels, **request)

        what = f"model {self._model!r}"

        async def call() -> CreateResult:
            with translate_openai_errors(what), malformed_answers(what):
                result = await self._inner.create(
                    redacted,
                    tools=tools,
                    tool_choice=tool_choice,
                    json_output=json_output,
                    extra_create_args=extra_create_args,
                    cancellation_token=cancellation_token,
                )
            return complete_answer(result, what)

        async def through_policy() -> CreateResult:
            return await self._policy(call)

        self._ledger.reserve()
        try:
            with self._tracer.observe(
                f"{self._agent} model call",
                "generation",
                input=request["messages"],
                metadata={"agent": self._agent, **self._labels},
                model=self._model,
            ) as generation:
                if self._cache is not None:
                    key = {**self._scope, **request}
                    result = await self._cache.get_or_create(key, through_policy)
                else:
                    result = await through_policy()
                usage = result.usage
                cost = self._ledger.record(
                    self._agent, usage.prompt_tokens, usage.completion_tokens, result.cached
                )
                generation.update(
                    output=result_content(result),
                    usage_details={
                        "input": usage.prompt_tokens,
                        "output": usage.completion_tokens,
                    },
                    cost_details={"total": cost},
                )
        finally:
            self._ledger.release()
        self._add_usage(usage)
        self._events.emit(
            "model.response",
            agent=self._agent,
            seq=seq,
            **self._labels,
            model=self._model,
            finish_reason=result.finish_reason,
            usage={
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
            },
            cached=result.cached,
            thought=result.thought,
            cost_usd=cost,
            **result_content(result),
        )
        return result

    async def close(self) -> None:
        """Close the wrapped client."""
        await self._inner.close()

    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []
    ) -> int:
        """Tokens of the messages and tool schemas (offline tiktoken, a close estimate)."""
        text = json.dumps([m.model_dump(mode="json") for m in messages], ensure_ascii=False)
        text += json.dumps(tool_schemas(tools))
        return count_tokens(text, self._model)

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []
    ) -> int:
        """What is left of the wrapped client's context window (via its own count)."""
        return self._inner.remaining_tokens(messages, tools=tools)

    @property
    def capabilities(self) -> ModelCapabilities:
        """Deprecated AutoGen alias of :attr:`model_info`."""
        return self._inner.capabilities

    @property
    def model_info(self) -> ModelInfo:
        """The wrapped client's model info."""
        return self._inner.model_info

"""Wrappers around a :class:`~review_bot.llm.types.Model`, each a ``Model`` itself.

Assembled once, by :func:`review_bot.llm.stack.assemble`, outermost first:

* :class:`Redacting` replaces secrets in every outgoing message (nothing leaves unredacted,
  not to the transcript, the cache or the provider);
* :class:`Recording` emits ``model.request`` / ``model.response`` (the transcript) and traces a
  generation;
* :class:`Budgeted` claims a turn from the review's :class:`UsageLedger` and books the answer's
  usage and cost;
* :class:`Cached` answers from the completion cache (a hit costs no policy call, no socket);
* :class:`Guarded` runs the call through the dependency's resilience policy and refuses an
  answer the model did not finish;
* then the provider.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from review_bot.errors import InvalidModelOutput
from review_bot.events import EventSink
from review_bot.llm.budget import UsageLedger
from review_bot.llm.tracing import NullTracer, Tracer
from review_bot.llm.types import (
    AssistantMessage,
    Message,
    Model,
    ModelCall,
    ModelPolicy,
    ModelResponse,
    RequestSettings,
    SystemMessage,
    ToolResultMessage,
    UserMessage,
)
from review_bot.llm.wire import model_request, response_content

__all__ = [
    "Budgeted",
    "Cached",
    "CompletionCache",
    "Guarded",
    "Recording",
    "Redact",
    "Redacting",
    "complete_answer",
    "direct",
]

Redact = Callable[[str], str]

_UNFINISHED = {
    "length": "stopped at the completion token limit (finish_reason 'length'): the answer is "
    "cut off; raise the model's max tokens or review smaller chunks",
    "content_filter": "withheld its answer (finish_reason 'content_filter'): the provider's "
    "content filter refused it",
}


class CompletionCache(Protocol):
    """Content-addressed completions: ``key`` holds everything the answer depends on."""

    async def get_or_create(
        self, key: Mapping[str, Any], create: Callable[[], Awaitable[ModelResponse]]
    ) -> ModelResponse:
        """The cached answer for ``key``, or ``create()``'s (stored for next time)."""


async def direct(call: ModelCall) -> ModelResponse:
    """The default policy: just make the call."""
    return await call()


def complete_answer(response: ModelResponse, what: str) -> ModelResponse:
    """``response`` if the model finished it, else :class:`InvalidModelOutput` saying why (an
    unfinished answer is never validated or cached)."""
    why = _UNFINISHED.get(response.finish_reason)
    if why is not None:
        raise InvalidModelOutput(f"{what} {why}")
    return response


def _redacted(message: Message, redact: Redact) -> Message:
    if isinstance(message, SystemMessage):
        return message.model_copy(update={"content": redact(message.content)})
    if isinstance(message, UserMessage):
        if isinstance(message.content, str):
            return message.model_copy(update={"content": redact(message.content)})
        return message.model_copy(update={"content": [redact(p) for p in message.content]})
    if isinstance(message, AssistantMessage):
        thought = redact(message.thought) if message.thought else message.thought
        if isinstance(message.content, str):
            content: Any = redact(message.content)
        else:
            content = [
                c.model_copy(update={"arguments": redact(c.arguments)}) for c in message.content
            ]
        return message.model_copy(update={"content": content, "thought": thought})
    assert isinstance(message, ToolResultMessage)
    results = [r.model_copy(update={"content": redact(r.content)}) for r in message.content]
    return ToolResultMessage(content=results)


class Redacting:
    """Every outgoing text passes through ``redact`` (secrets become placeholders)."""

    def __init__(self, inner: Model, redact: Redact) -> None:
        self._inner = inner
        self._redact = redact

    async def request(
        self, messages: Sequence[Message], settings: RequestSettings
    ) -> ModelResponse:
        """The inner answer to the redacted messages."""
        return await self._inner.request([_redacted(m, self._redact) for m in messages], settings)


class Recording:
    """``model.request`` before the call and ``model.response`` after it, plus a traced
    generation; ``seq`` numbers the calls of this wrapper (one agent turn)."""

    def __init__(
        self,
        inner: Model,
        events: EventSink,
        *,
        agent: str,
        model: str,
        labels: Mapping[str, Any] | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self._inner = inner
        self._events = events
        self._agent = agent
        self._model = model
        self._labels = dict(labels or {})
        self._tracer: Tracer = tracer or NullTracer()
        self._seq = itertools.count(1)

    async def request(
        self, messages: Sequence[Message], settings: RequestSettings
    ) -> ModelResponse:
        """Record the request, make it, record the answer."""
        seq = next(self._seq)
        request = {
            "model": self._model,
            **model_request(messages, settings),
            "extra": {k: v for k, v in settings.extra.items() if isinstance(v, str | int | float)},
        }
        self._events.emit("model.request", agent=self._agent, seq=seq, **self._labels, **request)
        with self._tracer.observe(
            f"{self._agent} model call",
            "generation",
            input=request["messages"],
            metadata={"agent": self._agent, **self._labels},
            model=self._model,
        ) as generation:
            response = await self._inner.request(messages, settings)
            usage = response.usage
            generation.update(
                output=response_content(response),
                usage_details={"input": usage.prompt_tokens, "output": usage.completion_tokens},
                cost_details={"total": response.cost_usd},
            )
        self._events.emit(
            "model.response",
            agent=self._agent,
            seq=seq,
            **self._labels,
            model=self._model,
            finish_reason=response.finish_reason,
            usage={
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
            },
            cached=response.cached,
            thought=response.thought,
            cost_usd=response.cost_usd,
            **response_content(response),
        )
        return response


class Budgeted:
    """One turn claimed from the review's ledger per call; the answer's usage booked to
    ``agent`` (a cached answer costs nothing and spends no budget)."""

    def __init__(self, inner: Model, ledger: UsageLedger, agent: str) -> None:
        self._inner = inner
        self._ledger = ledger
        self._agent = agent

    async def request(
        self, messages: Sequence[Message], settings: RequestSettings
    ) -> ModelResponse:
        """The inner answer, with its cost; BudgetExhausted when no turn is left."""
        self._ledger.reserve()
        try:
            response = await self._inner.request(messages, settings)
            usage = response.usage
            cost = self._ledger.record(
                self._agent, usage.prompt_tokens, usage.completion_tokens, response.cached
            )
        finally:
            self._ledger.release()
        return response.model_copy(update={"cost_usd": cost})


class Cached:
    """Answers from the completion cache, keyed by the request and ``scope`` (provider,
    temperature, prompt version: what else the answer depends on)."""

    def __init__(
        self, inner: Model, cache: CompletionCache, *, model: str, scope: Mapping[str, Any]
    ) -> None:
        self._inner = inner
        self._cache = cache
        self._model = model
        self._scope = dict(scope)

    async def request(
        self, messages: Sequence[Message], settings: RequestSettings
    ) -> ModelResponse:
        """The cached answer, or the inner one (stored for next time)."""
        key = {
            **self._scope,
            "model": self._model,
            **model_request(messages, settings),
            "extra": {k: v for k, v in settings.extra.items() if isinstance(v, str | int | float)},
        }

        async def create() -> ModelResponse:
            return await self._inner.request(messages, settings)

        return await self._cache.get_or_create(key, create)


class Guarded:
    """The call through ``policy`` (deadline, bulkhead, breaker, retry); an answer the model
    did not finish is an :class:`InvalidModelOutput`, inside the policy, never cached."""

    def __init__(self, inner: Model, policy: ModelPolicy, what: str) -> None:
        self._inner = inner
        self._policy = policy
        self._what = what

    async def request(
        self, messages: Sequence[Message], settings: RequestSettings
    ) -> ModelResponse:
        """The inner answer, through the policy."""

        async def call() -> ModelResponse:
            return complete_answer(await self._inner.request(messages, settings), self._what)

        return await self._policy(call)

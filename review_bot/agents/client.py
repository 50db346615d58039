"""The agent runtime's side of the model seam (AutoGen), both ways.

* :class:`ProviderModel` makes an AutoGen ``ChatCompletionClient`` (the OpenAI-compatible
  one, a scripted fake) a :class:`~review_bot.llm.Model`: our messages and settings go in as
  AutoGen's, its answer comes back as ours, and SDK errors and malformed answers become ours.
* :class:`RuntimeClient` makes a ``Model`` an AutoGen ``ChatCompletionClient``, which is what
  an ``AssistantAgent`` calls.
* :class:`ReviewModelClient` is one agent turn's client: the provider behind the layers
  :func:`review_bot.llm.assemble` puts around it (redact → record → budget → cache → policy),
  seen by the agent as a ``ChatCompletionClient``.

Everything below the seam (cache, transcripts, replay, budget) knows our types only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelCapabilities,
    ModelInfo,
    RequestUsage,
)
from autogen_core.tools import Tool, ToolSchema
from pydantic import BaseModel, TypeAdapter

from review_bot.agents.answers import malformed_answers
from review_bot.agents.wire import OneShotClient, tool_schemas
from review_bot.errors import ConfigError
from review_bot.events import EventSink
from review_bot.llm import (
    CompletionCache,
    Message,
    Model,
    ModelPolicy,
    ModelResponse,
    Redact,
    RequestSettings,
    ToolCall,
    Usage,
    UsageLedger,
    assemble,
    direct,
)
from review_bot.llm.tracing import Tracer
from review_bot.resilience.openai_errors import translate_openai_errors
from review_bot.tokens import count_tokens

__all__ = [
    "DEFAULT_MODEL_INFO",
    "ModelClient",
    "ProviderModel",
    "ReviewModelClient",
    "RuntimeClient",
    "from_runtime",
    "to_runtime",
]

ModelClient = ChatCompletionClient | Model
"""What a client factory may hand the agents: the runtime's client or a model of ours."""

DEFAULT_MODEL_INFO = ModelInfo(
    vision=False,
    function_calling=True,
    json_output=True,
    structured_output=True,
    family="unknown",
)
_OURS: TypeAdapter[Message] = TypeAdapter(Message)
_THEIRS: TypeAdapter[LLMMessage] = TypeAdapter(LLMMessage)
_CHOICES = ("auto", "required", "none")
_FINISH = ("stop", "length", "function_calls", "content_filter", "unknown")


def from_runtime(messages: Sequence[LLMMessage]) -> list[Message]:
    """AutoGen's messages as ours (both dump to the same JSON)."""
    try:
        return [_OURS.validate_python(m.model_dump(mode="json")) for m in messages]
    except ValueError as exc:
        raise ConfigError(
            f"a message the agents built cannot be sent (only text is supported): {exc}"
        ) from exc


def to_runtime(messages: Sequence[Message]) -> list[LLMMessage]:
    """Our messages as AutoGen's."""
    return [_THEIRS.validate_python(m.model_dump(mode="json")) for m in messages]


def _response(result: CreateResult) -> ModelResponse:
    content: str | list[ToolCall]
    if isinstance(result.content, str):
        content = result.content
    else:
        content = [ToolCall(id=c.id, name=c.name, arguments=c.arguments) for c in result.content]
    return ModelResponse(
        finish_reason=str(result.finish_reason),
        content=content,
        usage=Usage(
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
        ),
        cached=result.cached,
        thought=result.thought,
    )


def _result(response: ModelResponse) -> CreateResult:
    content: str | list[FunctionCall]
    if isinstance(response.content, str):
        content = response.content
    else:
        content = [
            FunctionCall(id=c.id, name=c.name, arguments=c.arguments) for c in response.content
        ]
    reason = response.finish_reason if response.finish_reason in _FINISH else "unknown"
    return CreateResult(
        finish_reason=cast(Any, reason),
        content=content,
        usage=RequestUsage(
            prompt_tokens=response.usage.prompt_tokens,
            completion_tokens=response.usage.completion_tokens,
        ),
        cached=response.cached,
        thought=response.thought,
    )


class ProviderModel:
    """An AutoGen client as our :class:`~review_bot.llm.Model` (the provider adapter)."""

    def __init__(self, client: ChatCompletionClient, model: str) -> None:
        self.client = client
        self._what = f"model {model!r}"

    async def request(
        self, messages: Sequence[Message], settings: RequestSettings
    ) -> ModelResponse:
        """One completion; OpenAI SDK errors and malformed answers raised as ours."""
        if settings.tool_choice not in _CHOICES:
            raise ConfigError(
                f"tool_choice {settings.tool_choice!r} is not supported: use one of {_CHOICES}"
            )
        sent = to_runtime(messages)
        with translate_openai_errors(self._what), malformed_answers(self._what):
            result = await self.client.create(
                sent,
                tools=[cast(ToolSchema, dict(t)) for t in settings.tools],
                tool_choice=cast(Literal["auto", "required", "none"], settings.tool_choice),
                json_output=settings.output,
                extra_create_args=dict(settings.extra),
            )
            return _response(result)

    async def close(self) -> None:
        """Close the client (its HTTP pool)."""
        await self.client.close()


class RuntimeClient(OneShotClient):
    """A :class:`~review_bot.llm.Model` as AutoGen's ``ChatCompletionClient``.

    Args:
        model: the model behind it (usually an assembled stack).
        name: the model name (token counting).
        model_info: what the model can do, as AutoGen's agents ask.
        output_schema: ask for every answer as this schema (structured output), unless the
            caller asks for an output format itself; None: the prompt's schema only.
        context_window: tokens the model takes (``remaining_tokens``).
    """

    def __init__(
        self,
        model: Model,
        *,
        name: str,
        model_info: ModelInfo,
        output_schema: type[BaseModel] | None = None,
        context_window: int = 128_000,
    ) -> None:
        self._model = model
        self._name = name
        self._info = model_info
        self._schema = output_schema
        self._window = context_window

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
        """The model's answer, as AutoGen's result."""
        settings = RequestSettings(
            tools=tuple(tool_schemas(tools)),
            tool_choice=tool_choice if isinstance(tool_choice, str) else tool_choice.name,
            output=self._schema if json_output is None else json_output,
            extra=dict(extra_create_args),
        )
        response = await self._model.request(from_runtime(messages), settings)
        result = _result(response)
        self._add_usage(result.usage)
        return result

    async def close(self) -> None:
        """Nothing of its own to close."""

    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []
    ) -> int:
        """Tokens of the messages and tool schemas (offline tiktoken, a close estimate)."""
        text = json.dumps([m.model_dump(mode="json") for m in messages], ensure_ascii=False)
        text += json.dumps(tool_schemas(tools))
        return count_tokens(text, self._name)

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []
    ) -> int:
        """What is left of the context window."""
        return self._window - self.count_tokens(messages, tools=tools)

    @property
    def capabilities(self) -> ModelCapabilities:
        """Deprecated AutoGen alias of :attr:`model_info`."""
        return self._info

    @property
    def model_info(self) -> ModelInfo:
        """What the model can do."""
        return self._info


class ReviewModelClient(RuntimeClient):
    """One agent turn's client: ``inner`` behind redact → record → budget → cache → policy.

    Args:
        inner: the provider: an AutoGen client (never shared between agents) or a model of
            ours (the transcript's, in replay).
        agent, model, redact, events, ledger, policy, cache, tracer, labels, cache_scope: as
            :func:`review_bot.llm.assemble` takes them.
        output_schema: structured output for every answer (see :class:`RuntimeClient`).
        model_info: what the model can do when ``inner`` does not say (a model of ours);
            default :data:`DEFAULT_MODEL_INFO`.
        context_window: tokens the model takes.
    """

    def __init__(
        self,
        inner: ModelClient,
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
        model_info: ModelInfo | None = None,
        context_window: int = 128_000,
    ) -> None:
        if isinstance(inner, ChatCompletionClient):
            self._provider: Model = ProviderModel(inner, model)
            info = inner.model_info
        else:
            self._provider = inner
            info = model_info or DEFAULT_MODEL_INFO
        stack = assemble(
            self._provider,
            agent=agent,
            model=model,
            redact=redact,
            events=events,
            ledger=ledger,
            policy=policy,
            cache=cache,
            cache_scope=cache_scope,
            tracer=tracer,
            labels=labels,
        )
        super().__init__(
            stack,
            name=model,
            model_info=info,
            output_schema=output_schema,
            context_window=context_window,
        )

    async def close(self) -> None:
        """Close the provider's client, if it has one."""
        if isinstance(self._provider, ProviderModel):
            await self._provider.close()

"""An AutoGen ``ChatCompletionClient`` that serves repeated completions from our cache.

Unlike autogen_ext's ChatCompletionCache, the key names the provider and the model and the
client's own create parameters (temperature, seed, ...), and the store is our async,
never-raising one. Put it *outside* the resilience policy: a hit makes no policy call.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal

from autogen_core import CancellationToken
from autogen_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelCapabilities,
    ModelInfo,
    RequestUsage,
)
from autogen_core.tools import Tool, ToolSchema
from pydantic import BaseModel, ValidationError

from review_bot.cache.keys import completion_key, model_tag
from review_bot.cache.store import CacheStats
from review_bot.cache.tiered import TieredCache

__all__ = ["CachingChatCompletionClient"]


def _tool_schema(tool: Tool | ToolSchema) -> Mapping[str, Any]:
    return dict(tool.schema) if isinstance(tool, Tool) else dict(tool)


class CachingChatCompletionClient(ChatCompletionClient):
    """Wraps ``inner``; ``create`` results are cached by content, identical concurrent
    requests share one call.

    Args:
        inner: the real client (already behind the resilience policy, if any).
        cache: the process's TieredCache.
        provider / model: name the answering model in the key and in the ``model:`` tag.
        parameters: the create arguments ``inner`` was built with (temperature, seed, ...).
        prompt_version: hash of the prompt templates behind the messages.
        ttl_s: lifetime of entries.
        tags: extra tags (e.g. ``repo_tag(...)``).
        stats: per-review counters (hits, misses...).
    """

    def __init__(
        self,
        inner: ChatCompletionClient,
        cache: TieredCache,
        *,
        provider: str,
        model: str,
        parameters: Mapping[str, Any] | None = None,
        prompt_version: str = "",
        ttl_s: float | None = None,
        tags: Sequence[str] = (),
        stats: CacheStats | None = None,
    ) -> None:
        self._inner = inner
        self._cache = cache
        self._provider = provider
        self._model = model
        self._parameters = dict(parameters or {})
        self._prompt_version = prompt_version
        self._ttl_s = ttl_s
        self._tags = (model_tag(provider, model), *tags)
        self.stats = stats or CacheStats()

    def key(
        self,
        messages: Sequence[LLMMessage],
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] | None = None,
    ) -> str:
        """The cache key of a request (exposed for transcripts and tests)."""
        schema: Mapping[str, Any] | None = None
        if isinstance(json_output, type):
            schema = json_output.model_json_schema()
        choice = tool_choice.name if isinstance(tool_choice, Tool) else tool_choice
        parameters = {
            **self._parameters,
            **dict(extra_create_args or {}),
            "tool_choice": choice,
            "json_output": json_output if isinstance(json_output, bool | None) else "schema",
        }
        return completion_key(
            provider=self._provider,
            model=self._model,
            parameters=parameters,
            messages=[m.model_dump(mode="json") for m in messages],
            tools=[_tool_schema(t) for t in tools],
            output_schema=schema,
            prompt_version=self._prompt_version,
        )

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
        """The cached result, or the inner client's (stored for next time)."""
        key = self.key(messages, tools, tool_choice, json_output, extra_create_args)
        called = False

        async def compute() -> bytes:
            nonlocal called
            called = True
            result = await self._inner.create(
                messages,
                tools=tools,
                tool_choice=tool_choice,
                json_output=json_output,
                extra_create_args=extra_create_args,
                cancellation_token=cancellation_token,
            )
            return result.model_dump_json().encode()

        raw = await self._cache.get_or_compute(
            key, compute, ttl_s=self._ttl_s, tags=self._tags, stats=self.stats
        )
        try:
            result = CreateResult.model_validate_json(raw)
        except ValidationError:
            # An entry from an incompatible autogen version: call again and overwrite it.
            result = await self._inner.create(
                messages,
                tools=tools,
                tool_choice=tool_choice,
                json_output=json_output,
                extra_create_args=extra_create_args,
                cancellation_token=cancellation_token,
            )
            await self._cache.set(key, result.model_dump_json().encode(), self._ttl_s, self._tags)
            return result
        return result if called else result.model_copy(update={"cached": True})

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        """A hit yields the cached result at once; a miss streams and stores the final one."""
        key = self.key(messages, tools, tool_choice, json_output, extra_create_args)
        raw = await self._cache.get(key, self.stats)
        if raw is not None:
            try:
                yield CreateResult.model_validate_json(raw).model_copy(update={"cached": True})
                return
            except ValidationError:
                pass
        async for item in self._inner.create_stream(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        ):
            if isinstance(item, CreateResult):
                await self._cache.set(key, item.model_dump_json().encode(), self._ttl_s, self._tags)
            yield item

    async def close(self) -> None:
        """Close the inner client (the cache is the process's: not closed here)."""
        await self._inner.close()

    def actual_usage(self) -> RequestUsage:
        """The inner client's usage (hits cost nothing)."""
        return self._inner.actual_usage()

    def total_usage(self) -> RequestUsage:
        """The inner client's usage."""
        return self._inner.total_usage()

    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []
    ) -> int:
        """Delegated."""
        return self._inner.count_tokens(messages, tools=tools)

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []
    ) -> int:
        """Delegated."""
        return self._inner.remaining_tokens(messages, tools=tools)

    @property
    def capabilities(self) -> ModelCapabilities:
        """Delegated."""
        return self._inner.capabilities

    @property
    def model_info(self) -> ModelInfo:
        """Delegated."""
        return self._inner.model_info

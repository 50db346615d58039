"""What our AutoGen clients share: whole answers only (a stream of one), usage totals, and
the tool schemas offered to the model.

The transcript form of a model call lives with the model seam (``review_bot.llm.wire``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal

from autogen_core import CancellationToken
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage, RequestUsage
from autogen_core.tools import Tool, ToolSchema
from pydantic import BaseModel

from review_bot.agents._runtime import RUNTIME_PACKAGES

__all__ = ["RUNTIME_PACKAGES", "OneShotClient", "tool_schemas"]


def _compact(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A tool schema without what repeats its parameters' names (``title``, and a
    ``description`` that is only the name): sent with every call, so every token counts."""
    out = dict(schema)
    parameters = out.get("parameters")
    if isinstance(parameters, Mapping) and isinstance(parameters.get("properties"), Mapping):
        properties = {
            name: {
                k: v
                for k, v in spec.items()
                if k != "title" and not (k == "description" and v == name)
            }
            for name, spec in parameters["properties"].items()
        }
        out["parameters"] = {**parameters, "properties": properties}
    return out


def tool_schemas(tools: Sequence[Tool | ToolSchema]) -> list[dict[str, Any]]:
    """The JSON schemas of the tools offered to the model (compacted, see :func:`_compact`)."""
    return [_compact(t.schema if isinstance(t, Tool) else t) for t in tools]


class OneShotClient(ChatCompletionClient):
    """What our clients share: whole answers only (a stream of one), and usage totals.

    Subclasses implement ``create`` and call :meth:`_add_usage` with each answer's usage.
    """

    _last: RequestUsage = RequestUsage(prompt_tokens=0, completion_tokens=0)
    _total: RequestUsage = RequestUsage(prompt_tokens=0, completion_tokens=0)

    def _add_usage(self, usage: RequestUsage) -> None:
        self._last = usage
        self._total = RequestUsage(
            prompt_tokens=self._total.prompt_tokens + usage.prompt_tokens,
            completion_tokens=self._total.completion_tokens + usage.completion_tokens,
        )

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
        """One whole completion as a one-item stream (reviews do not stream)."""
        yield await self.create(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )

    def actual_usage(self) -> RequestUsage:
        """Usage of the last call."""
        return self._last

    def total_usage(self) -> RequestUsage:
        """Usage of every call through this client."""
        return self._total

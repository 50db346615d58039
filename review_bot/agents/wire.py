"""How a model call looks in a transcript, both ways, and what our model clients share.

``ReviewModelClient`` records each call as ``model.request`` / ``model.response`` events, and
``agents.replay_client.ReplayModelClient`` answers a replayed call by matching the request and
rebuilding the result from the response. Both sides use the functions here, so the recorded
form and the form replay matches against cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal

from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage, RequestUsage
from autogen_core.tools import Tool, ToolSchema
from pydantic import BaseModel

from review_bot.agents._runtime import RUNTIME_PACKAGES

# the agent runtime's distributions, whose versions a transcript records

__all__ = [
    "REQUEST_FIELDS",
    "RUNTIME_PACKAGES",
    "OneShotClient",
    "model_request",
    "result_content",
    "result_from_response",
    "tool_schemas",
]

REQUEST_FIELDS = ("messages", "tools", "tool_choice", "output_schema")
"""The part of a recorded ``model.request`` that decides the answer (what replay matches)."""


def tool_schemas(tools: Sequence[Tool | ToolSchema]) -> list[dict[str, Any]]:
    """The JSON schemas of the tools offered to the model."""
    return [dict(t.schema) if isinstance(t, Tool) else dict(t) for t in tools]


def model_request(
    messages: Sequence[LLMMessage],
    tools: Sequence[Tool | ToolSchema],
    tool_choice: Tool | str,
    json_output: bool | type[BaseModel] | None,
) -> dict[str, Any]:
    """The :data:`REQUEST_FIELDS` of a call, as ``model.request`` records them."""
    output: Any = json_output.model_json_schema() if isinstance(json_output, type) else json_output
    return {
        "messages": [m.model_dump(mode="json") for m in messages],
        "tools": tool_schemas(tools),
        "tool_choice": tool_choice if isinstance(tool_choice, str) else tool_choice.name,
        "output_schema": output,
    }


def result_content(result: CreateResult) -> dict[str, Any]:
    """``content`` and ``tool_calls`` of a result, as ``model.response`` records them."""
    if isinstance(result.content, str):
        return {"content": result.content, "tool_calls": []}
    return {"content": None, "tool_calls": [dataclasses.asdict(c) for c in result.content]}


def result_from_response(data: Mapping[str, Any]) -> CreateResult:
    """The ``CreateResult`` a recorded ``model.response`` describes."""
    usage = data.get("usage") or {}
    calls = data.get("tool_calls") or []
    content: str | list[FunctionCall]
    if calls:
        content = [
            FunctionCall(id=c["id"], name=c["name"], arguments=c["arguments"]) for c in calls
        ]
    else:
        content = data.get("content") or ""
    return CreateResult(
        finish_reason=data.get("finish_reason", "stop"),
        content=content,
        usage=RequestUsage(
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
        ),
        cached=bool(data.get("cached", False)),
        thought=data.get("thought"),
    )


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

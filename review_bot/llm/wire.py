"""How a model call looks in a transcript, both ways.

The recording wrapper writes each call as ``model.request`` / ``model.response`` events, and
the replay model (``review_bot.audit.replay_model``) answers a replayed call by matching the
request and rebuilding the answer from the response. Both sides use the functions here, so
the recorded form and the form replay matches against cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from review_bot.llm.types import Message, ModelResponse, RequestSettings, ToolCall, Usage

__all__ = [
    "REQUEST_FIELDS",
    "model_request",
    "response_content",
    "response_from_record",
]

REQUEST_FIELDS = ("messages", "tools", "tool_choice", "output_schema")
"""The part of a recorded ``model.request`` that decides the answer (what replay matches)."""


def model_request(messages: Sequence[Message], settings: RequestSettings) -> dict[str, Any]:
    """The :data:`REQUEST_FIELDS` of a call, as ``model.request`` records them."""
    return {
        "messages": [m.model_dump(mode="json") for m in messages],
        "tools": [dict(t) for t in settings.tools],
        "tool_choice": settings.tool_choice,
        "output_schema": settings.output_schema(),
    }


def response_content(response: ModelResponse) -> dict[str, Any]:
    """``content`` and ``tool_calls`` of an answer, as ``model.response`` records them."""
    if isinstance(response.content, str):
        return {"content": response.content, "tool_calls": []}
    return {"content": None, "tool_calls": [c.model_dump() for c in response.content]}


def response_from_record(data: Mapping[str, Any]) -> ModelResponse:
    """The answer a recorded ``model.response`` describes."""
    usage = data.get("usage") or {}
    calls = data.get("tool_calls") or []
    content: str | list[ToolCall]
    if calls:
        content = [ToolCall(id=c["id"], name=c["name"], arguments=c["arguments"]) for c in calls]
    else:
        content = data.get("content") or ""
    return ModelResponse(
        finish_reason=data.get("finish_reason", "stop"),
        content=content,
        usage=Usage(
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
        ),
        cached=bool(data.get("cached", False)),
        thought=data.get("thought"),
    )

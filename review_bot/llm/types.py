"""The model seam in our own types: messages, request settings, the answer, and ``Model``.

``Model.request(messages, settings) -> ModelResponse`` is the one call every model goes
through (like pydantic-ai's ``Model.request``). Providers implement it (the agent runtime's
OpenAI-compatible client behind an adapter in ``review_bot.agents``, a transcript in
``review_bot.audit.replay_model``); wrappers (``review_bot.llm.wrappers``) implement it
around another ``Model``. Nothing here knows an agent runtime or an SDK.

The messages dump to JSON exactly as the transcripts have always recorded them (the shape of
AutoGen's ``LLMMessage`` dumps: ``type`` names the kind), so a transcript recorded before this
seam existed still replays request for request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AssistantMessage",
    "Message",
    "Model",
    "ModelCall",
    "ModelPolicy",
    "ModelResponse",
    "RequestSettings",
    "SystemMessage",
    "ToolCall",
    "ToolResult",
    "ToolResultMessage",
    "Usage",
    "UserMessage",
]

_FROZEN = ConfigDict(frozen=True)


class ToolCall(BaseModel):
    """A tool the model asked to call, with its JSON ``arguments`` as sent."""

    model_config = _FROZEN

    id: str
    arguments: str
    name: str


class SystemMessage(BaseModel):
    """The operator's instructions."""

    model_config = _FROZEN

    content: str
    type: Literal["SystemMessage"] = "SystemMessage"


class UserMessage(BaseModel):
    """A task (``content`` text, or text parts) from ``source``."""

    model_config = _FROZEN

    content: str | list[str]
    source: str
    type: Literal["UserMessage"] = "UserMessage"


class AssistantMessage(BaseModel):
    """An earlier answer of the model: text, or the tool calls it made."""

    model_config = _FROZEN

    content: str | list[ToolCall]
    thought: str | None = None
    source: str
    type: Literal["AssistantMessage"] = "AssistantMessage"


class ToolResult(BaseModel):
    """What one tool call returned."""

    model_config = _FROZEN

    content: str
    name: str
    call_id: str
    is_error: bool = False


class ToolResultMessage(BaseModel):
    """The results of the tool calls of the previous answer."""

    model_config = _FROZEN

    content: list[ToolResult]
    type: Literal["FunctionExecutionResultMessage"] = "FunctionExecutionResultMessage"


Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolResultMessage,
    Field(discriminator="type"),
]


@dataclass(frozen=True)
class RequestSettings:
    """Everything of a request besides its messages.

    Attributes:
        tools: JSON schemas of the tools offered (OpenAI's function-tool shape).
        tool_choice: ``auto``, ``required``, ``none`` or a tool's name.
        output: the answer's schema (structured output), True for any JSON, None for text.
        extra: provider parameters passed through (``temperature``, ...).
    """

    tools: tuple[Mapping[str, Any], ...] = ()
    tool_choice: str = "auto"
    output: type[BaseModel] | bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def output_schema(self) -> Any:
        """The recorded form of :attr:`output`: its JSON schema, or the bool/None."""
        if isinstance(self.output, type):
            return self.output.model_json_schema()
        return self.output


class Usage(BaseModel):
    """Tokens the provider billed for one answer."""

    model_config = _FROZEN

    prompt_tokens: int = 0
    completion_tokens: int = 0


class ModelResponse(BaseModel):
    """One answer: text, or tool calls; ``cost_usd`` is set by the budget wrapper."""

    model_config = _FROZEN

    finish_reason: str
    content: str | list[ToolCall]
    usage: Usage = Usage()
    cached: bool = False
    thought: str | None = None
    cost_usd: float = 0.0


class Model(Protocol):
    """A model: one request in, one whole answer out (reviews never stream)."""

    async def request(
        self, messages: Sequence[Message], settings: RequestSettings
    ) -> ModelResponse:
        """The answer to ``messages`` under ``settings``."""


ModelCall = Callable[[], Awaitable[ModelResponse]]
ModelPolicy = Callable[[ModelCall], Awaitable[ModelResponse]]
"""Runs a model call (deadline, bulkhead, breaker, retry): the resilience stack's shape."""

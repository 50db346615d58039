"""The model seam: one protocol of ours for a model call (:class:`Model`), its message and
answer types, the wrappers around it (redact, record, budget, cache, policy) and the one
function that assembles them. No agent runtime or SDK is imported here: the agent runtime's
adapters live in ``review_bot.agents``, the transcript's model in ``review_bot.audit``.
"""

from review_bot.llm.budget import AgentUsage, BudgetExhausted, UsageLedger
from review_bot.llm.stack import assemble
from review_bot.llm.types import (
    AssistantMessage,
    Message,
    Model,
    ModelPolicy,
    ModelResponse,
    RequestSettings,
    SystemMessage,
    ToolCall,
    ToolResult,
    ToolResultMessage,
    Usage,
    UserMessage,
)
from review_bot.llm.wrappers import CompletionCache, Redact, direct

__all__ = [
    "AgentUsage",
    "AssistantMessage",
    "BudgetExhausted",
    "CompletionCache",
    "Message",
    "Model",
    "ModelPolicy",
    "ModelResponse",
    "Redact",
    "RequestSettings",
    "SystemMessage",
    "ToolCall",
    "ToolResult",
    "ToolResultMessage",
    "Usage",
    "UsageLedger",
    "UserMessage",
    "assemble",
    "direct",
]

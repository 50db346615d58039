"""The agents: reviewer, security and coder as configuration, their tools, and the agent
runtime's (AutoGen's) side of the model seam (``review_bot.llm``)."""

from typing import TYPE_CHECKING

from review_bot._lazy import lazy_package

if TYPE_CHECKING:
    from review_bot.agents.client import ProviderModel, ReviewModelClient, RuntimeClient
    from review_bot.agents.definitions import AGENTS, CODER, REVIEWER, SECURITY, AgentSpec
    from review_bot.agents.schemas import CoderOutput, ReviewerOutput, SecurityOutput
    from review_bot.agents.tools import ChangeTools, FileAnalyzer

_EXPORTS = {
    "ProviderModel": "review_bot.agents.client",
    "ReviewModelClient": "review_bot.agents.client",
    "RuntimeClient": "review_bot.agents.client",
    "AGENTS": "review_bot.agents.definitions",
    "CODER": "review_bot.agents.definitions",
    "REVIEWER": "review_bot.agents.definitions",
    "SECURITY": "review_bot.agents.definitions",
    "AgentSpec": "review_bot.agents.definitions",
    "CoderOutput": "review_bot.agents.schemas",
    "ReviewerOutput": "review_bot.agents.schemas",
    "SecurityOutput": "review_bot.agents.schemas",
    "ChangeTools": "review_bot.agents.tools",
    "FileAnalyzer": "review_bot.agents.tools",
}
lazy_package(__name__, _EXPORTS)

__all__ = [
    "AGENTS",
    "CODER",
    "REVIEWER",
    "SECURITY",
    "AgentSpec",
    "ChangeTools",
    "CoderOutput",
    "FileAnalyzer",
    "ProviderModel",
    "ReviewModelClient",
    "ReviewerOutput",
    "RuntimeClient",
    "SecurityOutput",
]

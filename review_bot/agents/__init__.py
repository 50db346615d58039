"""The agents: reviewer, security and coder as configuration, their tools, and the agent
runtime's (AutoGen's) side of the model seam (``review_bot.llm``)."""

from review_bot.agents.client import ProviderModel, ReviewModelClient, RuntimeClient
from review_bot.agents.definitions import AGENTS, CODER, REVIEWER, SECURITY, AgentSpec
from review_bot.agents.schemas import CoderOutput, ReviewerOutput, SecurityOutput
from review_bot.agents.tools import ChangeTools, FileAnalyzer

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

"""The agents: reviewer, security and coder as configuration, their tools, their model door."""

from review_bot.agents.client import CompletionCache, ModelPolicy, ReviewModelClient
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
    "CompletionCache",
    "FileAnalyzer",
    "ModelPolicy",
    "ReviewModelClient",
    "ReviewerOutput",
    "SecurityOutput",
]

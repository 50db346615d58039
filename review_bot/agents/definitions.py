"""The three agents as configuration: role, prompt, tools, output schema. No loops here.

Turn-taking, retries and budgets live in ``review_bot.orchestration``; this module only says
who each agent is and builds a fresh AutoGen ``AssistantAgent`` for one turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from autogen_agentchat.agents import AssistantAgent
from autogen_core.models import ChatCompletionClient
from autogen_core.tools import FunctionTool
from pydantic import BaseModel

from review_bot.agents.schemas import CoderOutput, ReviewerOutput, SecurityOutput, schema_text
from review_bot.prompts import AgentRole, RenderedPrompt, system_prompt

__all__ = ["AGENTS", "CODER", "REVIEWER", "SECURITY", "AgentSpec", "make_agent"]


@dataclass(frozen=True)
class AgentSpec:
    """Who an agent is: its role, what it answers with, whether it may call tools."""

    role: AgentRole
    description: str
    output: type[BaseModel]
    uses_tools: bool

    @property
    def source(self) -> str:
        """The ``sources`` entry of this agent's findings."""
        return f"agent:{self.role}"

    def system_prompt(self) -> RenderedPrompt:
        """The rendered system prompt (with the output schema) and its version."""
        return _rendered(self.role, self.output)


@cache
def _rendered(role: AgentRole, output: type[BaseModel]) -> RenderedPrompt:
    # JSON-schema generation costs milliseconds of CPU on the event loop: once per process.
    return system_prompt(role, schema_text(output))


REVIEWER = AgentSpec(
    role="reviewer",
    description="Reviews a chunk of the change for correctness, design and maintainability.",
    output=ReviewerOutput,
    uses_tools=True,
)
SECURITY = AgentSpec(
    role="security",
    description="Finds vulnerabilities in a chunk and triages the security tools' findings.",
    output=SecurityOutput,
    uses_tools=True,
)
CODER = AgentSpec(
    role="coder",
    description="Writes minimal patches for findings worth fixing.",
    output=CoderOutput,
    uses_tools=False,
)
AGENTS: dict[AgentRole, AgentSpec] = {s.role: s for s in (REVIEWER, SECURITY, CODER)}


def make_agent(
    spec: AgentSpec,
    client: ChatCompletionClient,
    tools: Sequence[FunctionTool],
    *,
    max_tool_iterations: int,
) -> AssistantAgent:
    """A fresh AssistantAgent for one turn of ``spec`` (tools only if the model can call them)."""
    use_tools = spec.uses_tools and bool(tools) and client.model_info["function_calling"]
    return AssistantAgent(
        name=spec.role,
        model_client=client,
        tools=list(tools) if use_tools else None,
        description=spec.description,
        system_message=spec.system_prompt().text,
        reflect_on_tool_use=True if use_tools else None,
        max_tool_iterations=max_tool_iterations,
    )

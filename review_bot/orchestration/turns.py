"""One agent turn with a structured answer: ask, validate, correct once, or give up.

No "reply TERMINATE" control flow: a turn ends when the agent gives a text answer (after
at most ``max_tool_iterations`` rounds of tool calls), and the answer must validate against
the agent's pydantic schema. An invalid answer gets ONE corrective message in the same
conversation; a second invalid answer raises :class:`InvalidModelOutput`. When the model
supports structured output, every answer is also requested as the schema (``response_format``
json_schema, see ``ReviewModelClient``): validation and correction stay, they just rarely fire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import TextMessage
from pydantic import BaseModel, ValidationError

from review_bot.errors import InvalidModelOutput
from review_bot.prompts import corrective_message

__all__ = ["TurnStats", "parse_answer", "run_structured"]

T = TypeVar("T", bound=BaseModel)
_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(?P<body>.*)\n\s*```\s*$", re.DOTALL)
_MAX_ERRORS = 5


def parse_answer(text: str, schema: type[T]) -> T:
    """Validate ``text`` as ``schema`` (one surrounding Markdown fence is tolerated)."""
    match = _FENCE.match(text)
    body = match.group("body") if match else text.strip()
    try:
        return schema.model_validate_json(body)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:_MAX_ERRORS]:
            where = ".".join(str(p) for p in error["loc"]) or "(answer)"
            problems.append(f"{where}: {error['msg']}")
        raise InvalidModelOutput(
            f"the answer does not validate as {schema.__name__}: " + "; ".join(problems)
        ) from exc


def _final_text(result: TaskResult) -> str:
    last = result.messages[-1] if result.messages else None
    if isinstance(last, TextMessage):
        return last.content
    kind = type(last).__name__ if last is not None else "nothing"
    raise InvalidModelOutput(f"the agent ended its turn with {kind}, not a JSON answer")


@dataclass
class TurnStats:
    """What happened in the structured turns of a review (the ``agent_*`` stats)."""

    structured: int = 0  # turns whose every answer was asked for as the schema (response_format)
    corrective: int = 0  # corrective messages sent
    corrective_failed: int = 0  # ... whose answer was still invalid (the agent then failed)


async def run_structured(
    agent: AssistantAgent, task: str, schema: type[T], stats: TurnStats | None = None
) -> T:
    """The agent's validated answer to ``task``; one corrective message if it is invalid."""
    stats = stats if stats is not None else TurnStats()
    result = await agent.run(task=task)
    try:
        return parse_answer(_final_text(result), schema)
    except InvalidModelOutput as exc:
        stats.corrective += 1
        retry = await agent.run(task=corrective_message(str(exc)))
        try:
            return parse_answer(_final_text(retry), schema)
        except InvalidModelOutput:
            stats.corrective_failed += 1
            raise

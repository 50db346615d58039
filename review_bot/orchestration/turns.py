"""One agent turn with a structured answer: ask, validate, correct once, or give up.

No "reply TERMINATE" control flow: a turn ends when the agent gives a text answer (after
at most ``max_tool_iterations`` rounds of tool calls), and the answer must validate against
the agent's pydantic schema. An invalid answer gets ONE corrective message in the same
conversation; a second invalid answer raises :class:`InvalidModelOutput`.
"""

from __future__ import annotations

import re
from typing import TypeVar

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import TextMessage
from pydantic import BaseModel, ValidationError

from review_bot.errors import InvalidModelOutput
from review_bot.prompts import corrective_message

__all__ = ["parse_answer", "run_structured"]

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


async def run_structured(agent: AssistantAgent, task: str, schema: type[T]) -> tuple[T, bool]:
    """The agent's validated answer to ``task`` and whether it needed the corrective retry."""
    result = await agent.run(task=task)
    try:
        return parse_answer(_final_text(result), schema), False
    except InvalidModelOutput as exc:
        retry = await agent.run(task=corrective_message(str(exc)))
        return parse_answer(_final_text(retry), schema), True

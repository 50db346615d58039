"""The transcript form of a model call reads back as the same call (record ↔ replay), and our
messages are AutoGen's, JSON for JSON (so transcripts recorded before the seam replay)."""

from __future__ import annotations

import json

import pytest
from autogen_core import FunctionCall
from autogen_core import models as autogen
from pydantic import BaseModel

from review_bot.agents.client import from_runtime, to_runtime
from review_bot.llm import (
    AssistantMessage,
    ModelResponse,
    RequestSettings,
    SystemMessage,
    ToolCall,
    Usage,
    UserMessage,
)
from review_bot.llm.wire import (
    REQUEST_FIELDS,
    model_request,
    response_content,
    response_from_record,
)


class Out(BaseModel):
    verdict: str


@pytest.mark.parametrize(
    "content",
    ["plain answer", [ToolCall(id="c1", name="read_file", arguments='{"path": "a.py"}')]],
)
def test_a_recorded_response_rebuilds_the_answer(content: object) -> None:
    response = ModelResponse(
        finish_reason="function_calls" if isinstance(content, list) else "stop",
        content=content,  # type: ignore[arg-type]
        usage=Usage(prompt_tokens=12, completion_tokens=3),
        thought="because",
    )
    recorded = {
        "finish_reason": response.finish_reason,
        "usage": {"prompt_tokens": 12, "completion_tokens": 3},
        "cached": False,
        "thought": "because",
        **response_content(response),
    }
    assert response_from_record(recorded) == response


def test_the_request_form_holds_exactly_the_matched_fields() -> None:
    messages = [SystemMessage(content="sys"), UserMessage(content="diff", source="user")]
    request = model_request(messages, RequestSettings(output=Out))
    assert tuple(request) == REQUEST_FIELDS
    assert request["output_schema"] == Out.model_json_schema()
    assert request["messages"][1]["content"] == "diff"


AUTOGEN_TURN: list[autogen.LLMMessage] = [
    autogen.SystemMessage(content="You are the reviewer."),
    autogen.UserMessage(content="Review this", source="user"),
    autogen.AssistantMessage(
        content=[FunctionCall(id="c1", name="read_file_lines", arguments='{"path": "a.py"}')],
        source="reviewer",
        thought="need more",
    ),
    autogen.FunctionExecutionResultMessage(
        content=[
            autogen.FunctionExecutionResult(
                content="1   x = 1", name="read_file_lines", call_id="c1", is_error=False
            )
        ]
    ),
    autogen.AssistantMessage(content='{"findings": []}', source="reviewer"),
]


def test_our_messages_dump_exactly_as_autogens_did() -> None:
    ours = from_runtime(AUTOGEN_TURN)
    theirs = [json.dumps(m.model_dump(mode="json")) for m in AUTOGEN_TURN]
    assert [json.dumps(m.model_dump(mode="json")) for m in ours] == theirs
    assert isinstance(ours[2], AssistantMessage)
    assert to_runtime(ours) == AUTOGEN_TURN

"""The transcript form of a model call reads back as the same call (record ↔ replay)."""

from __future__ import annotations

import pytest
from autogen_core import FunctionCall
from autogen_core.models import CreateResult, RequestUsage, SystemMessage, UserMessage
from pydantic import BaseModel

from review_bot.agents.wire import (
    REQUEST_FIELDS,
    model_request,
    result_content,
    result_from_response,
)


class Out(BaseModel):
    verdict: str


@pytest.mark.parametrize(
    "content",
    [
        "plain answer",
        [FunctionCall(id="c1", name="read_file", arguments='{"path": "a.py"}')],
    ],
)
def test_a_recorded_response_rebuilds_the_result(content: object) -> None:
    result = CreateResult(
        finish_reason="function_calls" if isinstance(content, list) else "stop",
        content=content,  # type: ignore[arg-type]
        usage=RequestUsage(prompt_tokens=12, completion_tokens=3),
        cached=False,
        thought="because",
    )
    recorded = {
        "finish_reason": result.finish_reason,
        "usage": {"prompt_tokens": 12, "completion_tokens": 3},
        "cached": False,
        "thought": "because",
        **result_content(result),
    }
    assert result_from_response(recorded) == result


def test_the_request_form_holds_exactly_the_matched_fields() -> None:
    messages = [SystemMessage(content="sys"), UserMessage(content="diff", source="user")]
    request = model_request(messages, [], "auto", Out)
    assert tuple(request) == REQUEST_FIELDS
    assert request["output_schema"] == Out.model_json_schema()
    assert request["messages"][1]["content"] == "diff"

"""The agents against the OpenAI HTTP API: respx in-process and a fake server on loopback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import respx
from orchestration_helpers import FakeToolResult, bandit_finding

from review_bot.change import ChangeSet
from review_bot.config.model import ModelConfig
from review_bot.config.models import ReviewConfig
from review_bot.events import RecordingSink
from review_bot.orchestration import build_agent_runner

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, Reply  # noqa: E402

FINDING = {
    "path": "app/util.py",
    "line": 2,
    "severity": "high",
    "category": "bug",
    "rule_id": "wrong-operator",
    "message": "add() subtracts",
    "confidence": 0.9,
}


def _role(messages: list[dict[str, Any]]) -> str:
    system = messages[0]["content"]
    for role in ("reviewer", "security", "coder"):
        if f"You are the *{role}*" in system:
            return role
    raise AssertionError(f"unexpected system prompt {system[:80]!r}")


def _answer(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What the fake model says: reviewer first asks for the file, then answers."""
    role = _role(messages)
    if role == "reviewer" and not any(m["role"] == "tool" for m in messages):
        call = {
            "id": "call_1",
            "type": "function",
            "function": {
                "name": "read_file_lines",
                "arguments": json.dumps({"path": "app/util.py", "start_line": 1, "end_line": 2}),
            },
        }
        return {"content": None, "tool_calls": [call], "finish_reason": "tool_calls"}
    if role == "reviewer":
        return {"content": json.dumps({"findings": [FINDING]})}
    if role == "security":
        triage = [{"id": "T1", "verdict": "confirm", "reason": "caller input"}]
        return {"content": json.dumps({"findings": [], "triage": triage})}
    return {"content": json.dumps({"patches": []})}


def _completion(answer: dict[str, Any], prompt: int, completion: int) -> dict[str, Any]:
    message = {"role": "assistant", "content": answer["content"]}
    if "tool_calls" in answer:
        message["tool_calls"] = answer["tool_calls"]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [
            {"index": 0, "message": message, "finish_reason": answer.get("finish_reason", "stop")}
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


async def test_respx_on_the_openai_api(change: ChangeSet) -> None:
    model = ModelConfig(model="fake-model", base_url="https://llm.invalid/v1", api_key="sk-test")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(_role(body["messages"]))
        return httpx.Response(200, json=_completion(_answer(body["messages"]), 111, 7))

    with respx.mock(assert_all_called=True) as mock:
        mock.post("https://llm.invalid/v1/chat/completions").mock(side_effect=handler)
        runner = build_agent_runner(model, redact=str)
        assert runner is not None
        tools = FakeToolResult(findings=(bandit_finding("app/run.py", 5),))
        result = await runner.run(change, tools, ReviewConfig(), RecordingSink())
    assert result.failures == ()
    assert sorted(seen) == ["coder", "reviewer", "reviewer", "security"]
    assert result.stats["prompt_tokens"] == 111 * 4
    assert result.stats["completion_tokens"] == 7 * 4
    assert [f.sources for f in result.findings] == [("agent:reviewer",)]


async def test_fake_server_on_loopback_usage_and_tool_calls(change: ChangeSet) -> None:
    counter = iter(range(1, 100))

    def behave(request: RecordedRequest) -> Reply:
        answer = _answer(request.body["messages"])
        n = next(counter)
        return Reply(
            content=answer["content"],
            tool_calls=tuple(answer.get("tool_calls", ())),
            finish_reason=answer.get("finish_reason", "stop"),
            prompt_tokens=100 + n,
            completion_tokens=n,
        )

    with FakeOpenAIServer(default=behave) as server:
        model = ModelConfig(model="fake-model", base_url=server.base_url, api_key="sk-test")
        runner = build_agent_runner(model, redact=str)
        assert runner is not None
        tools = FakeToolResult(findings=(bandit_finding("app/run.py", 5),))
        result = await runner.run(change, tools, ReviewConfig(), RecordingSink())
        requests = server.completions
    assert len(requests) == 4
    assert result.failures == ()
    assert result.stats["prompt_tokens"] == sum(100 + n for n in range(1, 5))
    assert result.stats["completion_tokens"] == sum(range(1, 5))
    tool_messages = [m for r in requests for m in r.body["messages"] if m["role"] == "tool"]
    assert "return a - b" in tool_messages[0]["content"]
    assert all(r.body.get("temperature") == 0.0 for r in requests)

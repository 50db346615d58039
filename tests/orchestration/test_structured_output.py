"""Structured output: asked for as a json_schema when the model supports it; stats say so."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from orchestration_helpers import FakeToolResult, bandit_finding

from review_bot.change import ChangeSet
from review_bot.config.model import ModelCapabilityInfo, ModelConfig
from review_bot.config.models import ReviewConfig
from review_bot.events import RecordingSink
from review_bot.orchestration import build_agent_runner

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, Reply  # noqa: E402

EMPTY = {"reviewer": {"findings": []}, "security": {"findings": []}, "coder": {"patches": []}}


def _role(body: Any) -> str:
    system = body["messages"][0]["content"]
    return next(r for r in EMPTY if f"You are the *{r}*" in system)


def _model(server: FakeOpenAIServer, structured: bool) -> ModelConfig:
    info = ModelCapabilityInfo(structured_output=structured)
    return ModelConfig(
        model="fake-model", base_url=server.base_url, api_key="sk-test", model_info=info
    )


async def test_a_structured_model_is_asked_for_each_agents_schema(change: ChangeSet) -> None:
    def behave(request: RecordedRequest) -> Reply:
        return Reply(json.dumps(EMPTY[_role(request.body)]))

    with FakeOpenAIServer(default=behave) as server:
        runner = build_agent_runner(_model(server, structured=True), redact=str)
        assert runner is not None
        tools = FakeToolResult(findings=(bandit_finding("app/run.py", 5),))
        result = await runner.run(change, tools, ReviewConfig(), RecordingSink())
        requests = server.completions
    assert result.failures == ()
    formats = {_role(r.body): r.body.get("response_format") for r in requests}
    assert set(formats) == {"reviewer", "security", "coder"}
    names = {"reviewer": "ReviewerOutput", "security": "SecurityOutput", "coder": "CoderOutput"}
    for role, fmt in formats.items():
        assert fmt["type"] == "json_schema"
        assert fmt["json_schema"]["name"] == names[role]
        assert "properties" in fmt["json_schema"]["schema"]
    assert result.stats["agent_structured_turns"] == 3
    assert result.stats["agent_corrective_retries"] == 0


async def test_without_structured_output_the_prompt_schema_and_one_correction(
    change: ChangeSet,
) -> None:
    # the reviewer answers garbage twice: one correction, which fails too; security once
    answers = {"reviewer": ["not json", "still not json"], "security": ["nope", "{}"]}

    def behave(request: RecordedRequest) -> Reply:
        role = _role(request.body)
        queue = answers.get(role)
        if queue:
            return Reply(queue.pop(0))
        return Reply(json.dumps(EMPTY[role]))

    with FakeOpenAIServer(default=behave) as server:
        runner = build_agent_runner(_model(server, structured=False), redact=str)
        assert runner is not None
        result = await runner.run(change, FakeToolResult(), ReviewConfig(), RecordingSink())
        requests = server.completions
    assert all("response_format" not in r.body for r in requests)
    assert result.stats["agent_structured_turns"] == 0
    assert result.stats["agent_corrective_retries"] == 2
    assert result.stats["agent_corrective_failures"] == 2
    failed = {f.component for f in result.failures}
    assert failed == {"agent:reviewer", "agent:security"}

"""Invalid answers, failing models, big changes and budgets."""

from __future__ import annotations

from orchestration_helpers import FakeToolResult, ScriptedClients, bandit_finding, text

from review_bot import change as change_mod
from review_bot.change import ChangeSet
from review_bot.config.model import ModelConfig
from review_bot.config.models import ReviewConfig
from review_bot.errors import ModelUnavailable
from review_bot.events import RecordingSink
from review_bot.orchestration import build_agent_runner, plan_chunks
from review_bot.tokens import count_tokens

GOOD = {"findings": [], "summary": "clean"}


async def test_invalid_json_gets_one_corrective_retry(
    change: ChangeSet, model: ModelConfig
) -> None:
    clients = ScriptedClients(
        {"reviewer": [[text("Sure! Here is my review: looks fine"), text(GOOD)]]}
    )
    runner = build_agent_runner(model, redact=str, client_factory=clients)
    assert runner is not None
    result = await runner.run(change, FakeToolResult(), ReviewConfig(), RecordingSink())
    reviewer = next(c for role, c in clients.made if role == "reviewer")
    assert len(reviewer.create_calls) == 2
    corrective = reviewer.create_calls[1]["messages"][-1].content
    assert "not valid" in corrective
    assert result.failures == ()
    assert result.stats["agent_corrective_retries"] == 1


async def test_second_invalid_answer_fails_only_that_agent(
    change: ChangeSet, model: ModelConfig
) -> None:
    clients = ScriptedClients({"security": [[text("not json"), text('{"findings": "nope"}')]]})
    runner = build_agent_runner(model, redact=str, client_factory=clients)
    assert runner is not None
    tools = FakeToolResult(findings=(bandit_finding("app/run.py", 5),))
    result = await runner.run(change, tools, ReviewConfig(), RecordingSink())
    assert [f.component for f in result.failures] == ["agent:security"]
    assert "does not validate as SecurityOutput" in result.failures[0].reason
    # the tools' finding is intact
    assert result.tool_findings is not None
    assert result.tool_findings[0].sources == ("tool:bandit",)


async def test_model_always_failing_leaves_a_partial_result(
    change: ChangeSet, model: ModelConfig
) -> None:
    async def broken(call: object) -> object:
        raise ModelUnavailable("model 'fake-model' answered HTTP 503 (after 3 attempts)")

    clients = ScriptedClients({})
    runner = build_agent_runner(model, redact=str, client_factory=clients, policy=broken)  # type: ignore[arg-type]
    assert runner is not None
    tools = FakeToolResult(findings=(bandit_finding("app/run.py", 5),))
    result = await runner.run(change, tools, ReviewConfig(), RecordingSink())
    assert {f.component for f in result.failures} == {"agent:reviewer", "agent:security"}
    # both failed on an unavailable model: the coder would ask the same model, so it is skipped
    assert [s.name.split()[0] for s in result.skipped] == ["coder"]
    assert [role for role, _ in clients.made] == ["reviewer", "security"]
    assert result.findings == ()
    assert result.tool_findings == tools.findings


def _big_change(files: int = 80, lines: int = 62) -> ChangeSet:
    before = {f"pkg/mod{i}.py": "x = 0\n" for i in range(files)}
    after = {
        f"pkg/mod{i}.py": "x = 0\n"
        + "".join(f"value_{n} = compute({n}, name='item{n}')\n" for n in range(lines))
        for i in range(files)
    }
    return change_mod.from_files(before, after)


def test_big_change_splits_into_chunks_within_budget_covering_every_hunk() -> None:
    change = _big_change()
    assert sum(len(f.added_lines) for f in change.files) >= 4_900
    chunks, skipped = plan_chunks(change, 6_000)
    assert len(chunks) > 3
    assert all(c.tokens <= 6_000 for c in chunks)
    assert skipped == []
    for file in change.files:
        for line in file.added_lines:
            assert any(c.covers(file.path, line, line) for c in chunks), (file.path, line)


def test_a_line_too_long_for_any_chunk_is_skipped_with_a_reason() -> None:
    change = change_mod.from_files({"a.js": ""}, {"a.js": "var x = '" + "ab " * 5_000 + "';\n"})
    chunks, skipped = plan_chunks(change, 1_000)
    assert chunks == []
    assert [s.kind for s in skipped] == ["hunk"]
    assert "exceeds the chunk budget" in skipped[0].reason


async def test_every_first_prompt_stays_within_the_chunk_budget() -> None:
    model = ModelConfig(model="fake-model", chunk_token_budget=6_000, max_fixes_per_chunk=0)
    clients = ScriptedClients({})
    runner = build_agent_runner(model, redact=str, client_factory=clients)
    assert runner is not None
    result = await runner.run(_big_change(), FakeToolResult(), ReviewConfig(), RecordingSink())
    assert result.failures == ()
    assert len(clients.made) > 6
    for _, client in clients.made:
        messages = client.create_calls[0]["messages"]
        prompt = "".join(str(m.content) for m in messages)
        assert count_tokens(prompt) <= 6_000


async def test_turn_cap_turns_remaining_work_into_skips(change: ChangeSet) -> None:
    model = ModelConfig(model="fake-model", turn_cap=1)
    clients = ScriptedClients({})
    runner = build_agent_runner(model, redact=str, client_factory=clients)
    assert runner is not None
    result = await runner.run(change, FakeToolResult(), ReviewConfig(), RecordingSink())
    assert result.stats["llm_calls"] == 1
    assert any(s.kind == "agent" and "turn cap" in s.reason for s in result.skipped)

"""The conversation manager end to end with scripted (replay) model clients."""

from __future__ import annotations

from orchestration_helpers import (
    FakeToolResult,
    ScriptedClients,
    ShellTrueAnalyzer,
    bandit_finding,
    redact_marker,
    text,
    tool_call,
)

from review_bot.change import ChangeSet
from review_bot.config.model import ModelConfig
from review_bot.config.models import ReviewConfig
from review_bot.events import RecordingSink
from review_bot.orchestration import build_agent_runner

REVIEWER_FINDING = {
    "path": "app/util.py",
    "line": 2,
    "severity": "high",
    "category": "bug",
    "rule_id": "wrong-operator",
    "message": "add() subtracts",
    "confidence": 0.9,
}
OFF_CHANGE = {**REVIEWER_FINDING, "path": "app/run.py", "line": 1, "rule_id": "unused-import"}
SECURITY_ANSWER = {
    "findings": [
        {
            "path": "app/run.py",
            "line": 5,
            "severity": "high",
            "category": "security",
            "cwe": ["CWE-78"],
            "rule_id": "shell-injection",
            "message": "cmd reaches a shell",
            "confidence": 0.8,
        }
    ],
    "triage": [{"id": "T1", "verdict": "confirm", "reason": "cmd is caller input"}],
}
FIX = {
    "patches": [
        {
            "finding_id": "T1",
            "path": "app/run.py",
            "start_line": 5,
            "end_line": 5,
            "replacement": "    subprocess.call(cmd.split())",
        }
    ]
}


async def test_three_agents_tool_calls_and_merged_findings(
    change: ChangeSet, model: ModelConfig
) -> None:
    clients = ScriptedClients(
        {
            "reviewer": [
                [
                    tool_call(
                        "read_file_lines", {"path": "app/util.py", "start_line": 1, "end_line": 2}
                    ),
                    text({"findings": [REVIEWER_FINDING, OFF_CHANGE], "summary": "one bug"}),
                ]
            ],
            "security": [[text(SECURITY_ANSWER)]],
            "coder": [[text(FIX)]],
        }
    )
    analyzer = ShellTrueAnalyzer()
    runner = build_agent_runner(
        model, redact=redact_marker, client_factory=clients, analyzer=analyzer
    )
    assert runner is not None
    events = RecordingSink()
    tools = FakeToolResult(findings=(bandit_finding("app/run.py", 5),))

    result = await runner.run(change, tools, ReviewConfig(), events)

    roles = [role for role, _ in clients.made]
    assert sorted(roles) == ["coder", "reviewer", "security"]
    systems = {role: client.create_calls[0]["messages"][0].content for role, client in clients.made}
    assert len(set(systems.values())) == 3
    # the reviewer's tool call ran and its answer went back to the model
    reviewer_client = dict(clients.made)["reviewer"]
    tool_result = reviewer_client.create_calls[1]["messages"][-1].content[0].content
    assert "2 + " in tool_result
    assert "return a - b" in tool_result
    assert ("agent.tool", "read_file_lines") in [
        (kind, data.get("tool")) for kind, data in events.events
    ]

    by_rule = {f.rule_id: f for f in result.findings}
    assert by_rule["wrong-operator"].sources == ("agent:reviewer",)
    assert by_rule["shell-injection"].sources == ("agent:security",)
    assert "unused-import" not in by_rule
    assert result.stats["agent_findings_outside_change"] == 1

    assert result.tool_findings is not None
    (triaged,) = result.tool_findings
    assert triaged.sources == ("tool:bandit", "agent:security")
    assert triaged.suggestion is not None
    assert triaged.suggestion == "    subprocess.call(cmd.split())\n"  # replacement, not a diff
    assert (triaged.line, triaged.end_line) == (5, 5)

    per_agent = result.stats["per_agent"]
    assert isinstance(per_agent, dict)
    assert set(per_agent) == {"coder", "reviewer", "security"}
    assert result.stats["llm_calls"] == 4
    assert result.failures == ()
    started = [(d["agent"], d["chunk"]) for k, d in events.events if k == "agent.started"]
    assert sorted(started) == [(r, "app/run.py:2") for r in ("coder", "reviewer", "security")]

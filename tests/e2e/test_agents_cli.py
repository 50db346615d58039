"""``review-bot review`` with agents, as a user runs it: a git repo, the CLI process, a fake model.

One scripted agents review (module fixture) is checked from several sides: every agent was
asked, the tool calls the model asked for ran and their results went back, the findings carry
the agents' sources, token stats equal what the server billed, findings off the change are
dropped, and an invalid answer got exactly one corrective message. Separate runs cover an
answer that stays invalid and a model that only ever fails.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, server_error

from .conftest import (
    CORRECTIVE,
    ROLES,
    FakeModel,
    cli,
    fast_retries_config,
    line_of,
    make_repo,
    model_env,
    role_of,
)

UTIL = '''"""Helpers."""


def add(a, b):
    """Sum."""
    return a + b
'''
UTIL_AFTER = (
    UTIL
    + '''

def double(a):
    """Twice."""
    return add(a, a)
'''
)
JOBS = '''"""Jobs."""

import subprocess


def run(cmd):
    """Run a command line."""
    return subprocess.call(cmd, shell=True)


def last(items):
    """The last item."""
    return items[len(items)]
'''
BUG_LINE = line_of(JOBS, "items[len(items)]")
SHELL_LINE = line_of(JOBS, "shell=True")
UNTOUCHED_LINE = line_of(UTIL, "return a + b")


def _finding(path: str, line: int, **extra: Any) -> dict[str, Any]:
    return {"path": path, "line": line, "confidence": 0.9, **extra}


REVIEWER_ANSWER = json.dumps(
    {
        "findings": [
            _finding(
                "app/jobs.py",
                BUG_LINE,
                severity="high",
                category="bug",
                rule_id="off-by-one",
                message="items[len(items)] is always out of range",
            ),
            _finding(
                "app/util.py",
                UNTOUCHED_LINE,
                severity="medium",
                category="bug",
                rule_id="untouched-line",
                message="this line was not changed",
            ),
        ],
        "summary": "one bug",
    }
)
SECURITY_ANSWER = json.dumps(
    {
        "findings": [
            _finding(
                "app/jobs.py",
                SHELL_LINE,
                severity="high",
                category="security",
                cwe=["CWE-78"],
                rule_id="shell-injection",
                message="cmd reaches a shell",
            ),
        ],
        "triage": [],
    }
)


def _agents_model() -> FakeModel:
    return FakeModel(
        answers={
            "reviewer": [REVIEWER_ANSWER],
            # the first answer is not JSON; the corrective message gets a valid one
            "security": ["Here is my review: all good!", SECURITY_ANSWER],
        },
        tool_calls={
            "reviewer": [
                ("read_file_lines", {"path": "app/jobs.py", "start_line": 1, "end_line": 14})
            ],
            "security": [("run_analyzer", {"analyzer": "bandit", "path": "app/jobs.py"})],
        },
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(
        tmp_path_factory.mktemp("agents"),
        {"app/util.py": UTIL},
        {"app/util.py": UTIL_AFTER, "app/jobs.py": JOBS},
    )


def _review(repo: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return cli(
        "review", str(repo), "--base", "HEAD~1", "--format", "json", "--no-progress", *extra,
        env=env,
    )  # fmt: skip


class Run:
    """One CLI review against the fake model: process, parsed JSON, requests, the model."""

    def __init__(
        self,
        proc: subprocess.CompletedProcess[str],
        requests: list[RecordedRequest],
        model: FakeModel | None,
    ) -> None:
        self.proc = proc
        self.data: dict[str, Any] = json.loads(proc.stdout) if proc.stdout else {}
        self.requests = requests
        self.model = model
        assert self.data, proc.stderr

    def tool_messages(self) -> dict[str, str]:
        """tool_call_id -> content of every tool result sent to the model."""
        return {
            m["tool_call_id"]: m["content"]
            for r in self.requests
            for m in r.body["messages"]
            if m["role"] == "tool"
        }


@pytest.fixture(scope="module")
def agents_run(
    repo: Path, server: FakeOpenAIServer, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    model = _agents_model()
    server.reset(default=model)
    tmp = tmp_path_factory.mktemp("agents-run")
    started = time.perf_counter()
    proc = _review(repo, model_env(server, tmp), "--fail-on", "high")
    print(f"agents review via CLI: {time.perf_counter() - started:.2f}s wall")
    return Run(proc, server.completions, model)


def test_every_agent_is_asked_with_its_own_system_prompt(agents_run: Run) -> None:
    assert agents_run.proc.returncode == 1, agents_run.proc.stderr  # high findings, --fail-on high
    assert agents_run.data["mode"] == "agents"
    assert {role_of(r.body) for r in agents_run.requests} == set(ROLES)
    systems = {r.body["messages"][0]["content"] for r in agents_run.requests}
    assert len(systems) == 3
    assert all(r.body["model"] == "fake-model" for r in agents_run.requests)


def test_tool_calls_run_and_their_results_go_back_to_the_model(agents_run: Run) -> None:
    results = agents_run.tool_messages()
    read = results["call_reviewer_0"]
    assert f"{BUG_LINE} + " in read
    assert "items[len(items)]" in read
    # every tool result comes back fenced as data: marker, label, the answer, end marker
    fenced = results["call_security_0"].splitlines()
    assert fenced[0].startswith("<<<DATA ")
    assert fenced[1] == "[run_analyzer result]"
    assert fenced[-1] == fenced[0].replace("<<<DATA", "<<<END DATA")
    analyzed = json.loads("\n".join(fenced[2:-1]))
    assert any(f["rule_id"] == "B602" and f["line"] == SHELL_LINE for f in analyzed)


def test_findings_carry_the_agents_as_sources(agents_run: Run) -> None:
    by_line: dict[int, set[str]] = {}
    for f in agents_run.data["findings"]:
        if f["path"] == "app/jobs.py":
            by_line.setdefault(f["line"], set()).update(f["sources"])
    assert "agent:reviewer" in by_line[BUG_LINE]
    assert {"agent:security", "tool:bandit"} <= by_line[SHELL_LINE]
    assert agents_run.data["failures"] == []
    assert agents_run.data["partial"] is False


def test_token_stats_are_what_the_server_billed(agents_run: Run) -> None:
    stats = agents_run.data["stats"]
    model = agents_run.model
    assert model is not None
    assert len(model.billed) == len(agents_run.requests)
    assert stats["llm_calls"] == len(agents_run.requests)
    assert stats["prompt_tokens"] == model.prompt_tokens
    assert stats["completion_tokens"] == model.completion_tokens


def test_an_agent_finding_on_an_untouched_line_is_dropped(agents_run: Run) -> None:
    assert not [
        f
        for f in agents_run.data["findings"]
        if f["path"] == "app/util.py" and f["line"] == UNTOUCHED_LINE
    ]
    assert agents_run.data["stats"]["agent_findings_outside_change"] == 1


def _corrective_requests(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    """Requests whose LAST user message is the corrective one (one per correction)."""
    out = []
    for r in requests:
        users = [m for m in r.body["messages"] if m["role"] == "user"]
        if users and CORRECTIVE in str(users[-1]["content"]):
            out.append(r)
    return out


def test_invalid_json_gets_exactly_one_corrective_retry(agents_run: Run) -> None:
    corrected = _corrective_requests(agents_run.requests)
    assert [role_of(r.body) for r in corrected] == ["security"]
    assert agents_run.data["stats"]["agent_corrective_retries"] == 1


def test_an_answer_still_invalid_after_the_retry_fails_that_agent_only(
    repo: Path, server: FakeOpenAIServer, tmp_path: Path
) -> None:
    model = FakeModel(answers={"reviewer": ["not json", "still not json"]})
    server.reset(default=model)
    run = Run(_review(repo, model_env(server, tmp_path)), server.completions, model)
    reviewer = [r for r in run.requests if role_of(r.body) == "reviewer"]
    assert len(reviewer) == 2  # the answer, then one corrective message; no third try
    assert len(_corrective_requests(reviewer)) == 1
    assert [f["component"] for f in run.data["failures"]] == ["agent:reviewer"]
    assert run.data["partial"] is True
    assert "tool:bandit" in {s for f in run.data["findings"] for s in f["sources"]}


# 1: findings at the gate; 4: a partial review with nothing at the gate (never a silent 0)
@pytest.mark.parametrize(("fail_on", "exit_code"), [("high", 1), ("critical", 4)])
def test_a_model_that_always_fails_leaves_a_partial_tools_review(
    repo: Path, server: FakeOpenAIServer, tmp_path: Path, fail_on: str, exit_code: int
) -> None:
    server.reset(default=server_error(500))
    config = fast_retries_config(tmp_path / "review-bot.toml")
    started = time.perf_counter()
    proc = _review(repo, model_env(server, tmp_path), "--fail-on", fail_on, "--config", str(config))
    print(f"failing-model review via CLI: {time.perf_counter() - started:.2f}s wall")
    run = Run(proc, server.completions, None)
    assert proc.returncode == exit_code, proc.stderr
    assert run.data["mode"] == "agents"
    assert run.data["partial"] is True
    failed = {f["component"] for f in run.data["failures"]}
    assert {"agent:reviewer", "agent:security"} <= failed
    shell = [f for f in run.data["findings"] if f["line"] == SHELL_LINE]
    assert shell
    assert "tool:bandit" in shell[0]["sources"]
    assert shell[0]["severity"] == "high"
    # each model call was retried (2 attempts), none answered
    assert len(run.requests) >= 4
    assert run.data["stats"]["prompt_tokens"] == 0

"""Helpers for the conversation manager tests: a small change, scripted clients, fake tools."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from autogen_core import FunctionCall
from autogen_core.models import ChatCompletionClient, CreateResult, ModelInfo, RequestUsage
from autogen_ext.models.replay import ReplayChatCompletionClient

from review_bot.change import FileChange
from review_bot.findings import Finding

BEFORE = {
    "app/run.py": "import subprocess\n\n\ndef run(cmd):\n    return cmd\n",
    "app/util.py": "def add(a, b):\n    return a + b\n",
}
AFTER = {
    "app/run.py": (
        "import subprocess\n\n\ndef run(cmd):\n"
        "    subprocess.call(cmd, shell=True)\n"
        "    return cmd\n"
    ),
    "app/util.py": "def add(a, b):\n    return a - b\n",
}
INFO = ModelInfo(
    vision=False,
    function_calling=True,
    json_output=True,
    structured_output=False,
    family="unknown",
)


def usage(prompt: int = 100, completion: int = 20) -> RequestUsage:
    return RequestUsage(prompt_tokens=prompt, completion_tokens=completion)


def text(payload: object, prompt: int = 100, completion: int = 20) -> CreateResult:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return CreateResult(
        finish_reason="stop", content=body, usage=usage(prompt, completion), cached=False
    )


def tool_call(name: str, arguments: dict[str, object], call_id: str = "c1") -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id=call_id, arguments=json.dumps(arguments), name=name)],
        usage=usage(50, 10),
        cached=False,
    )


@dataclass
class ScriptedClients:
    """A factory handing each agent turn its OWN replay client, scripted per role."""

    scripts: dict[str, list[list[CreateResult]]]
    made: list[tuple[str, ReplayChatCompletionClient]] = field(default_factory=list)

    def __call__(self, role: str) -> ChatCompletionClient:
        turns = self.scripts.get(role) or [[text({"findings": [], "patches": []})]]
        script = turns.pop(0) if len(turns) > 1 else turns[0]
        client = ReplayChatCompletionClient(list(script), model_info=INFO)
        self.made.append((role, client))
        return client


@dataclass(frozen=True)
class FakeToolResult:
    findings: tuple[Finding, ...] = ()


class ShellTrueAnalyzer:
    """A pure-Python analyzer: 'B602' on every line containing 'shell=True'."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def available(self, file: FileChange) -> Sequence[str]:
        return ["bandit"] if file.path.endswith(".py") else []

    async def analyze(self, name: str, file: FileChange) -> Sequence[Finding]:
        self.calls.append((name, file.path))
        out = []
        for number, line in enumerate((file.new_content or "").splitlines(), start=1):
            if "shell=True" in line:
                out.append(bandit_finding(file.path, number))
        return out


def bandit_finding(path: str, line: int) -> Finding:
    return Finding(
        path=path,
        line=line,
        end_line=line,
        severity="high",
        category="security",
        rule_id="B602",
        message="subprocess call with shell=True identified",
        sources=("tool:bandit",),
        cwe=("CWE-78",),
    )


def redact_marker(text_in: str) -> str:
    return text_in.replace("SECRET-VALUE", "[REDACTED:token:00000000]")


Redact = Callable[[str], str]

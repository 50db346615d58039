"""Fix checks re-run only the reporting tools, reuse the original file's result, and run
concurrently outside the chunk's model slot."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from orchestration_helpers import FakeToolResult, ScriptedClients, bandit_finding, text

from review_bot.agents.schemas import Patch
from review_bot.cache import MemoryStore, TieredCache
from review_bot.cache.store import CacheStats
from review_bot.cache.tools import caching_analyzer_call
from review_bot.change import FileChange, from_files
from review_bot.config.model import ModelConfig
from review_bot.config.models import ReviewConfig, ToolsConfig
from review_bot.errors import ToolError
from review_bot.events import RecordingSink
from review_bot.findings import Finding
from review_bot.orchestration import build_agent_runner
from review_bot.orchestration.fixes import check_fix
from review_bot.tools import run_tools
from review_bot.tools.base import AnalyzerResult, ToolRun
from review_bot.tools.file_analyzer import ToolsFileAnalyzer
from review_bot.tools.sandbox import ProcessResult, ProcessRunner


class NoProcesses:
    """A runner that must not be used (the recording analyzers run in-process)."""

    async def run(self, *args: object, **kwargs: object) -> ProcessResult:
        raise AssertionError("the recording analyzers never start a process")


class Recording:
    """An in-process analyzer reporting ``rule`` on every line containing ``needle``; it
    records the content of every file it runs on."""

    def __init__(self, name: str, needle: str, rule: str) -> None:
        self.name = name
        self.needle = needle
        self.rule = rule
        self.runs: list[str] = []

    def applies_to(self, file: FileChange) -> bool:
        return file.path.endswith(".py")

    async def version(self, runner: ProcessRunner) -> str | None:
        return "1.0"

    def config_hash(self) -> str:
        return f"{self.name}-config"

    async def analyze(
        self, files: Sequence[FileChange], workdir: Path, runner: ProcessRunner, config: ToolsConfig
    ) -> AnalyzerResult:
        findings = []
        for f in files:
            content = (workdir / f.path).read_text()
            self.runs.append(content)
            for number, line in enumerate(content.splitlines(), start=1):
                if self.needle in line:
                    findings.append(
                        Finding(
                            path=f.path,
                            line=number,
                            end_line=number,
                            severity="medium",
                            category="bug",
                            rule_id=self.rule,
                            message=f"{self.needle!r} found",
                            sources=(f"tool:{self.name}",),
                        )
                    )
        run = ToolRun(
            tool=self.name, version="1.0", status="ok", files=tuple(f.path for f in files)
        )
        return AnalyzerResult(run=run, findings=tuple(findings))


BEFORE = {"app.py": "import os\n\n\ndef f(x):\n    return x\n"}
AFTER = {"app.py": "import os\n\n\ndef f(x):\n    if x == None:\n        return 0\n    return x\n"}


async def test_a_ruff_fix_check_runs_ruff_only_and_the_original_comes_from_cache() -> None:
    ruff = Recording("ruff", "== None", "E711")
    bandit = Recording("bandit", "eval(", "B307")
    config = ToolsConfig()
    stats = CacheStats()
    cache = TieredCache(MemoryStore(1 << 20), None)
    call = caching_analyzer_call(cache, NoProcesses(), config, stats=stats)
    change = from_files(BEFORE, AFTER)
    phase = await run_tools(change, config, call=call, analyzers=[ruff, bandit])
    (finding,) = phase.findings
    assert (finding.rule_id, len(ruff.runs), len(bandit.runs)) == ("E711", 1, 1)
    hits_before = stats.hits

    analyzer = ToolsFileAnalyzer(config, runner=NoProcesses(), call=call, analyzers=[ruff, bandit])
    file = change.file("app.py")
    assert file is not None
    patch = Patch(
        finding_id="T1", path="app.py", start_line=5, end_line=5, replacement="    if x is None:"
    )
    check = await check_fix(finding, patch, file, analyzer)

    assert check.suggestion is not None, check.reason
    assert check.reason == "verified"
    assert len(bandit.runs) == 1  # the tools phase's run only: bandit did not report it
    assert ruff.runs[1:] == [AFTER["app.py"].replace("x == None", "x is None")]  # patched only
    assert stats.hits == hits_before + 1  # the original file's ruff result, from the cache


_LINES = "".join(f"value_{n} = compute({n}, name='item{n}')\n" for n in range(90))
_NEW = "import subprocess\n" + _LINES + "subprocess.call(cmd, shell=True)\n"
TWO_BEFORE = {"a.py": "", "b.py": ""}  # two new files: one chunk each at this budget
TWO_AFTER = {"a.py": _NEW, "b.py": _NEW}
SHELL_LINE = 92


class MeetingAnalyzer:
    """'B602' on every 'shell=True' line. A run on a patched file waits until the other
    patched file's run has started too: two checks that cannot overlap never finish."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.patched: set[str] = set()
        self.both = asyncio.Event()

    def available(self, file: FileChange) -> Sequence[str]:
        return ["bandit", "ruff"]

    async def analyze(self, name: str, file: FileChange) -> Sequence[Finding]:
        self.calls.append((name, file.path))
        content = file.new_content or ""
        if content != TWO_AFTER[file.path]:
            self.patched.add(file.path)
            if len(self.patched) == 2:
                self.both.set()
            try:  # a guard against hanging the suite, not a timing threshold
                await asyncio.wait_for(self.both.wait(), 30)
            except TimeoutError as exc:
                raise ToolError(f"the other fix check never started ({self.patched})") from exc
        lines = content.splitlines()
        return [bandit_finding(file.path, n) for n, t in enumerate(lines, 1) if "shell=True" in t]


def _patch(ident: str, path: str) -> dict[str, object]:
    return {
        "finding_id": ident,
        "path": path,
        "start_line": SHELL_LINE,
        "end_line": SHELL_LINE,
        "replacement": "subprocess.call(cmd.split())",
    }


async def test_fix_checks_run_concurrently_and_outside_the_chunk_slot() -> None:
    """One chunk per file, one chunk at a time: the first chunk's check waits for the second
    chunk's, which can only start if the first gave its model slot back."""
    change = from_files(TWO_BEFORE, TWO_AFTER)
    # tool-finding ids are the chunk's own: each chunk's coder patches its file's T1
    clients = ScriptedClients(
        {
            "reviewer": [[text({"findings": []})]],
            "security": [[text({"findings": [], "triage": []})]],
            "coder": [
                [text({"patches": [_patch("T1", "a.py")]})],
                [text({"patches": [_patch("T1", "b.py")]})],
            ],
        }
    )
    model = ModelConfig(model="fake-model", chunk_token_budget=4_000, max_concurrent_chunks=1)
    analyzer = MeetingAnalyzer()
    runner = build_agent_runner(model, redact=str, client_factory=clients, analyzer=analyzer)
    assert runner is not None
    events = RecordingSink()
    tools = FakeToolResult(
        findings=(bandit_finding("a.py", SHELL_LINE), bandit_finding("b.py", SHELL_LINE))
    )

    result = await runner.run(change, tools, ReviewConfig(), events)

    planned = [d for k, d in events.events if k == "agents.planned"]
    assert planned[0]["chunks"] == 2
    fixes = [d for k, d in events.events if k == "agent.fix"]
    assert sorted((d["path"], d["accepted"]) for d in fixes) == [("a.py", True), ("b.py", True)]
    assert result.tool_findings is not None
    assert all(f.suggestion == "subprocess.call(cmd.split())\n" for f in result.tool_findings)
    assert {name for name, _ in analyzer.calls} == {"bandit"}  # ruff did not report them

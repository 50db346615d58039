"""The tools phase: batching, skips and failures that never raise, events, the call seam."""

from __future__ import annotations

import json
import stat
from collections.abc import Sequence
from pathlib import Path

from tools_helpers import ScriptedRunner, added_file, change_of, modified_file, process_alive

from review_bot.change import FileChange
from review_bot.config.models import ToolsConfig
from review_bot.errors import ToolOutputError
from review_bot.tools import (
    ANALYZER_NAMES,
    Analyzer,
    AnalyzerResult,
    RuffAnalyzer,
    ShellcheckAnalyzer,
    ToolEvent,
    default_analyzers,
    run_tools,
)

PY = "def f():\n    return missing_name\n"
RUFF_OUTPUT = json.dumps(
    [
        {
            "code": "F821",
            "filename": "{root}/src/a.py",
            "location": {"row": 2, "column": 12},
            "end_location": {"row": 2, "column": 24},
            "message": "Undefined name `missing_name`",
        }
    ]
)


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-tool"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


async def test_real_tools_phase_reports_change_paths_and_runs(tmp_path: Path) -> None:
    change = change_of(added_file("src/a.py", PY, "python"), added_file("README.md", "hi\n"))
    events: list[ToolEvent] = []
    config = ToolsConfig(enabled=("ruff", "bandit", "secrets"))
    result = await run_tools(change, config, on_event=events.append)
    assert {r.tool: r.status for r in result.runs} == {
        "ruff": "ok",
        "bandit": "ok",
        "secrets": "ok",
    }
    assert {r.tool: r.files for r in result.runs}["secrets"] == ("src/a.py", "README.md")
    undefined = [f for f in result.findings if f.rule_id == "F821"]
    assert [(f.path, f.line) for f in undefined] == [("src/a.py", 2)]
    assert all(not Path(f.path).is_absolute() for f in result.findings)
    kinds = [(e.kind, e.tool) for e in events]
    for tool in ("ruff", "bandit", "secrets"):
        assert kinds.index(("tool.started", tool)) < kinds.index(("tool.finished", tool))
    finished = {e.tool: e for e in events if e.kind == "tool.finished"}
    assert finished["ruff"].files == 1
    assert finished["ruff"].status == "ok"


async def test_garbage_output_is_a_failed_run_not_an_exception() -> None:
    runner = ScriptedRunner("this is {not json", exit_code=1)
    change = change_of(added_file("a.py", PY, "python"))
    result = await run_tools(change, ToolsConfig(enabled=("ruff",)), runner=runner)
    assert result.runs[0].status == "failed"
    assert "not JSON" in result.runs[0].reason
    assert [f.component for f in result.failures] == ["tool:ruff"]
    assert result.findings == ()


async def test_crash_exit_code_is_a_failed_run_with_stderr() -> None:
    runner = ScriptedRunner("", exit_code=2, stderr="error: unexpected argument '--foo'")
    change = change_of(added_file("a.py", PY, "python"))
    result = await run_tools(change, ToolsConfig(enabled=("ruff",)), runner=runner)
    assert result.runs[0].status == "failed"
    assert "code 2" in result.failures[0].reason
    assert "--foo" in result.failures[0].reason


async def test_missing_binary_is_skipped_with_a_reason() -> None:
    config = ToolsConfig(enabled=("shellcheck",), paths={"shellcheck": "/nonexistent/shellcheck"})
    change = change_of(added_file("a.sh", "echo $1\n", "shell"))
    result = await run_tools(change, config)
    assert result.runs[0].status == "skipped"
    assert [(s.kind, s.name) for s in result.skipped] == [("tool", "shellcheck")]
    assert "not found" in result.skipped[0].reason
    assert "disable the tool" in result.skipped[0].reason
    assert result.failures == ()


async def test_missing_ruff_reason_names_the_fix() -> None:
    analyzer = RuffAnalyzer()
    analyzer.module = None
    analyzer.binary = "ruff-not-installed-anywhere"
    change = change_of(added_file("a.py", PY, "python"))
    result = await run_tools(change, ToolsConfig(), analyzers=[analyzer])
    assert result.skipped[0].reason == "ruff not found on PATH: install it or disable the tool"


async def test_timeout_fails_the_run_and_kills_the_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    tool = _script(
        tmp_path,
        f'case "$1" in --version) echo 0.1; exit 0;; esac\nsleep 30 & echo $! > {pidfile}; wait\n',
    )
    config = ToolsConfig(enabled=("shellcheck",), paths={"shellcheck": tool}, timeout_s=1)
    result = await run_tools(change_of(added_file("a.sh", "echo\n", "shell")), config)
    assert result.runs[0].status == "failed"
    assert "timed out after 1s" in result.failures[0].reason
    assert not process_alive(int(pidfile.read_text()))


async def test_output_cap_fails_the_run(tmp_path: Path) -> None:
    tool = _script(tmp_path, 'case "$1" in --version) echo 0.1; exit 0;; esac\nexec yes\n')
    config = ToolsConfig(enabled=("shellcheck",), paths={"shellcheck": tool}, max_output_bytes=4096)
    result = await run_tools(change_of(added_file("a.sh", "echo\n", "shell")), config)
    assert result.runs[0].status == "failed"
    assert "more than 4096 bytes" in result.failures[0].reason


async def test_each_tool_runs_once_over_all_its_files() -> None:
    runner = ScriptedRunner("[]")
    files = [added_file(f"m{i}.py", PY, "python") for i in range(5)]
    await run_tools(change_of(*files), ToolsConfig(enabled=("ruff",)), runner=runner)
    scans = [argv for argv in runner.calls if "--version" not in argv]
    assert len(scans) == 1
    assert scans[0][-5:] == tuple(f.path for f in files)
    assert "--isolated" in scans[0]
    assert "--ignore-noqa" not in scans[0]  # base-side noqa applies; added ones are cut


async def test_files_without_added_lines_run_no_analyzer() -> None:
    runner = ScriptedRunner("[]")
    deletion_only = modified_file("gone.py", PY, added=[])  # an edit that only removed lines
    await run_tools(
        change_of(deletion_only, added_file("new.py", PY, "python")),
        ToolsConfig(enabled=("ruff",)),
        runner=runner,
    )
    scans = [argv for argv in runner.calls if "--version" not in argv]
    assert [argv[-1] for argv in scans] == ["new.py"]
    only_deletions = ScriptedRunner("[]")
    phase = await run_tools(change_of(deletion_only), ToolsConfig(), runner=only_deletions)
    assert only_deletions.calls == []
    assert phase.runs == ()


async def test_call_seam_wraps_every_analyzer_and_its_errors_become_failures() -> None:
    seen: list[tuple[str, tuple[str, ...], bool]] = []

    async def call(
        analyzer: Analyzer, files: Sequence[FileChange], workdir: Path
    ) -> AnalyzerResult:
        seen.append(
            (analyzer.name, tuple(f.path for f in files), (workdir / files[0].path).exists())
        )
        raise ToolOutputError("replay has no record for this run")

    change = change_of(added_file("a.py", PY, "python"), added_file("b.sh", "echo\n", "shell"))
    config = ToolsConfig(enabled=("ruff", "shellcheck"))
    result = await run_tools(change, config, runner=ScriptedRunner("[]"), call=call)
    assert sorted(seen) == [("ruff", ("a.py",), True), ("shellcheck", ("b.sh",), True)]
    assert sorted(f.component for f in result.failures) == ["tool:ruff", "tool:shellcheck"]


async def test_unsafe_paths_are_skipped_not_written(tmp_path: Path) -> None:
    change = change_of(added_file("../evil.py", PY, "python"), added_file("ok.py", PY, "python"))
    result = await run_tools(change, ToolsConfig(enabled=("ruff",)), runner=ScriptedRunner("[]"))
    assert [(s.kind, s.name) for s in result.skipped] == [("file", "../evil.py")]
    assert result.runs[0].files == ("ok.py",)


def test_default_analyzers_honour_enabled_disabled_and_paths() -> None:
    names = [a.name for a in default_analyzers(ToolsConfig())]
    assert names == [
        "ruff",
        "bandit",
        "semgrep",
        "shellcheck",
        "eslint",
        "secrets",
        "govet",
        "staticcheck",
        "actionlint",
        "zizmor",
        "hadolint",
    ]
    assert tuple(names) == ANALYZER_NAMES
    config = ToolsConfig(enabled=("ruff", "bandit"), disabled=("bandit",))
    assert [a.name for a in default_analyzers(config)] == ["ruff"]
    custom = default_analyzers(ToolsConfig(enabled=("shellcheck",), paths={"shellcheck": "/x/sc"}))
    assert isinstance(custom[0], ShellcheckAnalyzer)
    assert "'/x/sc'" in custom[0].missing_reason()


def test_config_hash_is_stable_and_differs_per_tool() -> None:
    hashes = {a.name: a.config_hash() for a in default_analyzers(ToolsConfig())}
    assert hashes == {a.name: a.config_hash() for a in default_analyzers(ToolsConfig())}
    assert len(set(hashes.values())) == len(hashes)


async def test_recorded_ruff_output_maps_back_to_change_paths(tmp_path: Path) -> None:
    class RootedRunner(ScriptedRunner):
        async def run(self, argv, *, cwd, limits, env=None):  # type: ignore[no-untyped-def]
            self.stdout = RUFF_OUTPUT.replace("{root}", str(cwd))
            return await super().run(argv, cwd=cwd, limits=limits, env=env)

    change = change_of(added_file("src/a.py", PY, "python"))
    result = await run_tools(change, ToolsConfig(enabled=("ruff",)), runner=RootedRunner())
    assert [(f.path, f.line, f.rule_id) for f in result.findings] == [("src/a.py", 2, "F821")]

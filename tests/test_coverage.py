"""Coverage: which files got which analyzers, which got none, in the review and every format."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from review_bot.change import FileChange, from_files
from review_bot.config.models import ReviewConfig, ToolsConfig
from review_bot.coverage import NO_ADDED_LINES, build_coverage
from review_bot.findings import Review, ReviewStats
from review_bot.pipeline import Services, review
from review_bot.render import render
from review_bot.tools.base import Analyzer, AnalyzerResult, ToolRun

BEFORE = {"gone.py": "a = 1\nb = 2\nc = 3\n", "keep.md": "x\n"}
AFTER = {
    "app.py": "import os\n",
    "gone.py": "a = 1\nc = 3\n",  # only deletes a line
    "cmd/main.go": "package main\n",
    "cmd/util.go": "package main\n",
    "cmd/more.go": "package main\n",
    "web/app.ts": "let x: number = 1;\n",
    "keep.md": "y\n",
}


def seen_call(seen: list[tuple[str, tuple[str, ...]]]):  # type: ignore[no-untyped-def]
    async def call(analyzer: Analyzer, batch: Sequence[FileChange], _: Path) -> AnalyzerResult:
        paths = tuple(sorted(f.path for f in batch))
        seen.append((analyzer.name, paths))
        return AnalyzerResult(run=ToolRun(tool=analyzer.name, status="ok", files=paths))

    return call


async def reviewed() -> tuple[Review, list[tuple[str, tuple[str, ...]]]]:
    tools = ToolsConfig(
        enabled=("ruff", "eslint", "secrets"), paths={"eslint": "/nonexistent/eslint"}
    )
    seen: list[tuple[str, tuple[str, ...]]] = []
    result = await review(
        from_files(BEFORE, AFTER),
        ReviewConfig(tools=tools),
        Services(analyzer_call=seen_call(seen)),
    )
    return result, seen


async def test_each_file_lists_its_analyzers_and_the_summary_says_which_got_none() -> None:
    result, seen = await reviewed()
    by_path = {f.path: f for f in result.coverage.files}
    assert by_path["app.py"].analyzers == ("ruff", "secrets")
    assert by_path["cmd/main.go"].analyzers == ("secrets",)
    assert by_path["web/app.ts"].analyzers == ("secrets",)
    assert by_path["web/app.ts"].missing == ("eslint",)
    assert by_path["gone.py"].analyzers == ()
    assert by_path["gone.py"].note == NO_ADDED_LINES
    assert result.coverage.without_analyzer == ("gone.py",)
    assert "3 Go files: secrets only" in result.summary
    assert "1 Python file: no analyzer (the change only deletes lines)" in result.summary
    assert "1 TypeScript file: secrets only (eslint did not run)" in result.summary
    # the deletion-only file reached no analyzer at all
    assert all("gone.py" not in paths for _, paths in seen)


async def test_typescript_without_its_parser_is_a_tool_skip_like_javascript_without_eslint() -> (
    None
):
    result, _ = await reviewed()
    skip = next(s for s in result.skipped if s.kind == "tool" and s.name == "eslint")
    assert skip.reason.startswith("web/app.ts: TypeScript not analyzed by eslint")
    assert "/nonexistent/eslint" in skip.reason


async def test_coverage_is_in_every_output_format() -> None:
    result, _ = await reviewed()
    data = json.loads(render(result, "json"))
    files = {f["path"]: f["analyzers"] for f in data["coverage"]["files"]}
    assert files["cmd/util.go"] == ["secrets"]
    assert data["coverage"]["without_analyzer"] == ["gone.py"]
    sarif = json.loads(render(result, "sarif"))
    props = sarif["runs"][0]["properties"]
    assert props["coverage"]["without_analyzer"] == ["gone.py"]
    assert "3 Go files: secrets only" in props["summary"]
    text = render(result, "text")
    assert "Coverage" in text
    assert "gone.py: no analyzer (the change only deletes lines)" in text
    assert "web/app.ts: secrets (eslint did not run)" in text
    markdown = render(result, "markdown")
    assert "| `gone.py` | **none** (the change only deletes lines) |" in markdown
    assert "| `cmd/main.go` | secrets |" in markdown


def test_hostile_paths_are_escaped_in_markdown() -> None:
    change = from_files({}, {"a|b<script>`.go": "package a\n"})
    run = ToolRun(tool="secrets", status="ok", files=("a|b<script>`.go",))
    coverage = build_coverage(change, [run])
    result = Review(
        mode="tools-only", findings=(), summary="", stats=ReviewStats(), coverage=coverage
    )
    markdown = render(result, "markdown")
    assert "<script>" not in markdown
    assert "a\\|b&lt;script&gt;.go" in markdown


def test_a_failed_or_skipped_tool_does_not_count_as_coverage() -> None:
    change = from_files({}, {"a.py": "x = 1\n"})
    runs = [
        ToolRun(tool="ruff", status="failed", files=("a.py",)),
        ToolRun(tool="bandit", status="skipped", files=("a.py",)),
    ]
    coverage = build_coverage(change, runs)
    assert coverage.files[0].analyzers == ()
    assert coverage.files[0].missing == ("bandit", "ruff")
    assert coverage.summary == "Coverage: 1 Python file: no analyzer (bandit, ruff did not run)."

"""Team controls in a review: path filters, rule ignores, severity bounds, the baseline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from review_bot.change import ChangeSet, FileChange, from_files
from review_bot.config.controls import Controls
from review_bot.config.models import ReviewConfig, ToolsConfig
from review_bot.controls import apply_finding_controls, filter_change
from review_bot.findings import Finding
from review_bot.pipeline import Services, review
from review_bot.tools.base import Analyzer, AnalyzerResult, ToolRun

BEFORE = {"src/app.py": "x = 1\n", "tests/test_app.py": "y = 1\n", "docs/a.md": "old\n"}
AFTER = {
    "src/app.py": "x = 1\nassert x\nimport os\n",
    "tests/test_app.py": "y = 1\nassert y\n",
    "docs/a.md": "new\n",
}


def finding(path: str, line: int, rule: str, **kw: object) -> Finding:
    fields: dict[str, object] = {
        "severity": "medium",
        "category": "correctness",
        "message": f"{rule} here",
        "sources": ("tool:bandit",),
    }
    fields.update(kw)
    return Finding.model_validate({"path": path, "line": line, "rule_id": rule, **fields})


SCRIPTED = [
    finding("src/app.py", 2, "B101"),
    finding("tests/test_app.py", 2, "B101"),
    finding("src/app.py", 3, "F401", category="style", severity="high", sources=("tool:ruff",)),
    finding("src/app.py", 3, "maint-1", category="maintainability", severity="low", sources=("x",)),
]


def scripted_call(findings: Sequence[Finding]):  # type: ignore[no-untyped-def]
    async def call(analyzer: Analyzer, batch: Sequence[FileChange], _: Path) -> AnalyzerResult:
        paths = {f.path for f in batch}
        run = ToolRun(tool=analyzer.name, status="ok", files=tuple(sorted(paths)))
        return AnalyzerResult(run=run, findings=tuple(f for f in findings if f.path in paths))

    return call


def controls(**data: object) -> Controls:
    return Controls.model_validate(data)


async def run(change: ChangeSet, ctl: Controls, findings: Sequence[Finding] = SCRIPTED):  # type: ignore[no-untyped-def]
    config = ReviewConfig(tools=ToolsConfig(enabled=("bandit",)), controls=ctl)
    return await review(change, config, Services(analyzer_call=scripted_call(findings)))


def test_path_filters_move_files_to_skipped_with_the_glob() -> None:
    change = from_files(BEFORE, AFTER)
    filtered = filter_change(change, controls(paths={"exclude": ["*.md"], "include": ["src/**"]}))
    assert [f.path for f in filtered.files] == ["src/app.py"]
    reasons = {s.path: s.reason for s in filtered.skipped}
    assert reasons["docs/a.md"] == "excluded by paths.exclude '*.md' in the team controls"
    assert reasons["tests/test_app.py"] == "not under paths.include in the team controls"
    assert filter_change(change, Controls()) is change


async def test_excluded_files_reach_no_analyzer_and_show_as_skips() -> None:
    result = await run(from_files(BEFORE, AFTER), controls(paths={"exclude": ["tests/**"]}))
    assert {f.path for f in result.findings} == {"src/app.py"}
    assert any(s.name == "tests/test_app.py" and "tests/**" in s.reason for s in result.skipped)


async def test_rule_ignores_apply_to_their_paths_only_and_are_counted() -> None:
    # (bandit's B101 in tests/ is dropped by calibration already; src/app.py keeps its own)
    elsewhere = {"rule": "B101", "paths": ["docs/**"], "reason": "not here"}
    result = await run(from_files(BEFORE, AFTER), controls(ignore=[elsewhere]))
    assert [(f.path, f.line) for f in result.findings if f.rule_id == "B101"] == [
        ("src/app.py", 2)
    ]
    assert "findings_ignored_by_rule" not in result.stats.model_dump()
    ignore = {"rule": "B101", "paths": ["src/**"], "reason": "asserts guard invariants here"}
    result = await run(from_files(BEFORE, AFTER), controls(ignore=[ignore]))
    assert [f for f in result.findings if f.rule_id == "B101"] == []
    assert result.stats.model_dump()["findings_ignored_by_rule"] == 1
    assert any(s.reason == "rule B101 ignored by the team" for s in result.skipped)
    assert "1 finding hidden (1 by rule ignores)." in result.summary


def test_an_ignore_for_one_tool_leaves_the_same_rule_of_another() -> None:
    ctl = controls(ignore=[{"rule": "B101", "tool": "ruff", "reason": "ruff's, not bandit's"}])
    kept, outcome = apply_finding_controls(SCRIPTED, ctl, lambda p, n: None)
    assert len(kept) == len(SCRIPTED)
    assert outcome.hidden == 0


def test_severity_bounds_lower_to_max_and_hide_below_min() -> None:
    ctl = controls(severity={"style": {"max": "low"}, "maintainability": {"min": "medium"}})
    kept, outcome = apply_finding_controls(SCRIPTED, ctl, lambda p, n: None)
    style = next(f for f in kept if f.rule_id == "F401")
    assert style.severity == "low"
    assert not any(f.category == "maintainability" for f in kept)
    assert outcome.stats() == {"findings_below_severity_floor": 1, "findings_severity_lowered": 1}
    assert outcome.skips()[0].reason == "maintainability findings below the team's minimum severity"


async def test_the_baseline_hides_known_findings_and_says_how_many() -> None:
    change = from_files(BEFORE, AFTER)
    first = await run(change, Controls())
    known = [f.fingerprint for f in first.findings if f.rule_id == "B101"]
    assert len(known) == 1
    ctl = controls(baseline=known, baseline_source=".review-bot-baseline.json")
    second = await run(change, ctl)
    assert len(second.findings) == len(first.findings) - 1
    remaining = {f.fingerprint for f in first.findings} - set(known)
    assert {f.fingerprint for f in second.findings} == remaining
    assert second.stats.model_dump()["findings_hidden_by_baseline"] == 1
    skip = next(s for s in second.skipped if "baseline" in s.reason)
    assert (skip.kind, skip.name) == ("findings", "1 finding")
    assert ".review-bot-baseline.json" in skip.reason
    assert "1 finding hidden (1 by the baseline)." in second.summary

"""Renderers: SARIF validates against the 2.1.0 schema, text and Markdown read well, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from review_bot.change import from_files
from review_bot.findings import Failure, Finding, Review, ReviewStats, Skip, assign_fingerprints
from review_bot.render import render

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.json").read_text())

AFTER = {
    "app.py": (
        "import subprocess\n\nsubprocess.call(cmd, shell=True)\nKEY = 'AKIAQ7R2XK5N4HJD3WTY'\n"
    ),
}


@pytest.fixture
def review() -> Review:
    change = from_files({}, AFTER)
    findings = [
        Finding(
            path="app.py",
            line=3,
            end_line=3,
            severity="high",
            category="security",
            rule_id="B602",
            message="subprocess call with shell=True",
            sources=("tool:bandit", "tool:semgrep"),
            cwe=("CWE-78",),
            suggestion="subprocess.call(shlex.split(cmd))",
        ),
        Finding(
            path="app.py",
            line=4,
            end_line=4,
            severity="high",
            category="security",
            rule_id="AWSKeyDetector",
            message="AWS Access Key committed",
            sources=("tool:secrets",),
            cwe=("CWE-798",),
        ),
    ]
    return Review(
        mode="tools-only",
        findings=tuple(assign_fingerprints(findings, change.line_text)),
        summary="2 findings (2 high).",
        stats=ReviewStats(tool_runs=3),
        skipped=(Skip(kind="tool", name="eslint", reason="eslint not found on PATH"),),
        failures=(Failure(component="tool:shellcheck", reason="timed out after 1s"),),
        partial=True,
    )


def test_sarif_validates_against_the_schema(review: Review) -> None:
    log = json.loads(render(review, "sarif"))
    jsonschema.validate(log, SCHEMA)
    result = log["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert result["partialFingerprints"]["reviewBot/v1"]
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_sarif_schema_rejects_a_broken_log(review: Review) -> None:
    log = json.loads(render(review, "sarif"))
    log["runs"][0]["results"][0]["level"] = "severe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, SCHEMA)


def test_json_is_the_review_contract(review: Review) -> None:
    data = json.loads(render(review, "json"))
    assert set(data) >= {
        "mode",
        "findings",
        "summary",
        "stats",
        "skipped",
        "failures",
        "transcript",
    }
    assert set(data["findings"][0]) >= {
        "path", "line", "end_line", "severity", "category", "rule_id", "message",
        "suggestion", "sources", "fingerprint",
    }  # fmt: skip
    assert Review.model_validate(data) == review


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "sarif"])
def test_no_format_shows_the_secret(review: Review, fmt: str) -> None:
    change = from_files({}, AFTER)
    out = render(review, fmt, change)  # type: ignore[arg-type]
    assert "AKIAQ7R2XK5N4HJD3WTY" not in out


def test_text_groups_by_file_with_context(review: Review) -> None:
    change = from_files({}, AFTER)
    out = render(review, "text", change)
    assert "app.py" in out
    assert "HIGH" in out
    assert "subprocess.call(cmd, shell=True)" in out
    assert "tool:bandit, tool:semgrep" in out
    assert "eslint not found on PATH" in out
    assert "tool:shellcheck: timed out" in out


def test_markdown_has_severity_table_and_suggestion(review: Review) -> None:
    out = render(review, "markdown", from_files({}, AFTER))
    assert "| 🟧 high | 2 |" in out
    # the suggestion as a diff computed from the file: the line it replaces, then its text
    diff = "  -subprocess.call(cmd, shell=True)\n  +subprocess.call(shlex.split(cmd))\n"
    assert f"  ```diff\n{diff}" in out
    assert "<details>" in out


def _apply_sarif_fix(content: str, fix: dict[str, object]) -> str:
    """Apply one SARIF fix of whole-line replacements (what a SARIF viewer's autofix does)."""
    (change,) = fix["artifactChanges"]  # type: ignore[misc]
    lines = content.splitlines(keepends=True)
    for replacement in change["replacements"]:
        region = replacement["deletedRegion"]
        assert region["startColumn"] == 1
        assert region["endColumn"] == 1
        new = replacement.get("insertedContent", {}).get("text", "")
        lines[region["startLine"] - 1 : region["endLine"] - 1] = [new]
    return "".join(lines)


def test_sarif_fixes_validate_and_replace_exactly_the_findings_lines() -> None:
    content = "import os\nimport json\n\nx = f'a'\ny = 1\nz = 2\n"
    change = from_files({}, {"m.py": content})

    def finding(line: int, end_line: int, suggestion: str, rule: str) -> Finding:
        return Finding(
            path="m.py",
            line=line,
            end_line=end_line,
            severity="low",
            category="correctness",
            rule_id=rule,
            message=rule,
            sources=("tool:ruff",),
            suggestion=suggestion,
        )

    findings = [
        finding(1, 1, "", "F401"),  # a deletion
        finding(4, 4, "x = 'a'\n", "F541"),
        finding(5, 6, "y, z = 1, 2\n", "multi"),
    ]
    review = Review(
        mode="tools-only",
        findings=tuple(assign_fingerprints(findings, change.line_text)),
        summary="3 findings.",
        stats=ReviewStats(),
    )
    log = json.loads(render(review, "sarif"))
    jsonschema.validate(log, SCHEMA)
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert _apply_sarif_fix(content, results["F401"]["fixes"][0]) == content.replace(
        "import os\n", ""
    )
    assert _apply_sarif_fix(content, results["F541"]["fixes"][0]).splitlines()[3] == "x = 'a'"
    assert _apply_sarif_fix(content, results["multi"]["fixes"][0]).endswith("\ny, z = 1, 2\n")


HOSTILE = (
    "fine\n# Approved\n| a | b |\n|---|---|\n</td><script>alert(1)</script> @octocat "
    "[x](https://evil.example)"
)


def test_markdown_escapes_hostile_model_output() -> None:
    change = from_files({}, {"a</td>.py": "x = 1\n"})
    finding = Finding(
        path="a</td>.py",
        line=1,
        end_line=1,
        severity="high",
        category="bug",
        rule_id="r`</td><script>\n# Approved",
        message=HOSTILE,
        sources=("agent:reviewer",),
        suggestion="```\n# Approved\n```\n",
    )
    review = Review(
        mode="agents",
        findings=(finding,),
        summary=HOSTILE,
        stats=ReviewStats(),
        failures=(Failure(component="agent:security", reason=HOSTILE),),
        partial=True,
    )
    out = render(review, "markdown", change)
    for line in out.splitlines():
        assert not line.startswith(("# Approved", "| a |")), line
    assert "<script" not in out
    assert "</td>" not in out
    assert "@octocat" not in out
    # the suggestion's own fence cannot close the block around it
    assert "  ````diff\n  -x = 1\n  +```\n  +# Approved\n  +```\n  ````" in out


def test_text_drops_terminal_control_sequences() -> None:
    finding = Finding(
        path="a.py",
        line=1,
        end_line=1,
        severity="low",
        category="bug",
        rule_id="r\x1b[31m",
        message="clear\x1b[2J\rscreen [bold]markup[/bold]",
        sources=("agent:reviewer",),
    )
    review = Review(
        mode="agents", findings=(finding,), summary="s\x1b]0;title\x07", stats=ReviewStats()
    )
    out = render(review, "text")
    assert "\x1b" not in out
    assert "\r" not in out
    assert "[bold]markup[/bold]" in out  # shown as typed, not interpreted as rich markup

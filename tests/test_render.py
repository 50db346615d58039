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
    assert "  ```diff\n  -subprocess.call(cmd, shell=True)\n  +subprocess.call(shlex.split(cmd))\n" in out
    assert "<details>" in out

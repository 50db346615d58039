"""Every tool's findings name their CWE where the rule knows it, and reliability rules are bugs."""

from __future__ import annotations

import json
from pathlib import Path

from review_bot.tools.bandit import BanditAnalyzer
from review_bot.tools.cwe import ESLINT_CWE, RUFF_CWE, cwe_for
from review_bot.tools.eslint import EslintAnalyzer
from review_bot.tools.ruff import RuffAnalyzer
from review_bot.tools.sandbox import ProcessResult


def _result(payload: object) -> ProcessResult:
    return ProcessResult(
        argv=("tool",), exit_code=1, stdout=json.dumps(payload), stderr="", duration_s=0.1
    )


def _bandit_item(root: Path, test_id: str, cwe: int, line: int) -> dict[str, object]:
    return {
        "filename": str(root / "app.py"),
        "line_number": line,
        "line_range": [line],
        "issue_severity": "MEDIUM",
        "issue_confidence": "LOW" if test_id == "B113" else "HIGH",
        "issue_cwe": {"id": cwe, "link": f"https://cwe.mitre.org/data/definitions/{cwe}.html"},
        "issue_text": "text",
        "test_id": test_id,
    }


def test_bandit_timeout_and_swallowed_exception_are_reliability_bugs(tmp_path: Path) -> None:
    # issue_cwe as bandit 1.8 prints it: B113 says 400, B110 says 703, B602 says 78
    items = [
        _bandit_item(tmp_path, "B113", 400, 3),
        _bandit_item(tmp_path, "B110", 703, 7),
        _bandit_item(tmp_path, "B602", 78, 9),
    ]
    findings = BanditAnalyzer().parse(_result({"results": items}), tmp_path)
    got = {f.rule_id: (f.category, f.cwe) for f in findings}
    assert got == {
        "B113": ("bug", ("CWE-400", "CWE-1088")),
        "B110": ("bug", ("CWE-703",)),
        "B602": ("security", ("CWE-78",)),
    }


def test_bandit_result_without_cwe_has_none(tmp_path: Path) -> None:
    item = _bandit_item(tmp_path, "B608", 89, 2)
    del item["issue_cwe"]
    [finding] = BanditAnalyzer().parse(_result({"results": [item]}), tmp_path)
    assert finding.cwe == ()
    assert finding.category == "security"


def test_eslint_rules_carry_their_cwe(tmp_path: Path) -> None:
    def message(rule: str, line: int) -> dict[str, object]:
        return {"ruleId": rule, "severity": 2, "message": "m", "line": line}

    rules = ("no-eval", "no-unsanitized/property", "no-unreachable")
    entry = {
        "filePath": str(tmp_path / "a.js"),
        "messages": [message(rule, n) for n, rule in enumerate(rules, 1)],
    }
    findings = EslintAnalyzer().parse(_result([entry]), tmp_path)
    assert {f.rule_id: f.cwe for f in findings} == {
        "no-eval": ("CWE-95",),
        "no-unsanitized/property": ("CWE-79",),
        "no-unreachable": (),
    }


def test_ruff_identity_comparison_with_literal_is_cwe_595(tmp_path: Path) -> None:
    def diagnostic(code: str, row: int) -> dict[str, object]:
        return {
            "filename": str(tmp_path / "m.py"),
            "code": code,
            "message": "m",
            "location": {"row": row, "column": 1},
            "end_location": {"row": row, "column": 9},
        }

    payload = [diagnostic("F632", 4), diagnostic("F821", 5)]
    findings = RuffAnalyzer().parse(_result(payload), tmp_path)
    assert {f.rule_id: f.cwe for f in findings} == {"F632": ("CWE-595",), "F821": ()}


def test_tables_hold_only_well_formed_cwes() -> None:
    for table in (ESLINT_CWE, RUFF_CWE):
        for rule, cwes in table.items():
            assert cwes, rule
            assert all(c.startswith("CWE-") and c[4:].isdigit() for c in cwes), rule
    assert cwe_for("shellcheck", "SC2086") == ()
    assert cwe_for("eslint", "no-such-rule") == ()

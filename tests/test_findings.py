"""Findings: validation, merging across sources, fingerprints that survive line shifts."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from review_bot.findings import (
    Finding,
    Review,
    ReviewStats,
    assign_fingerprints,
    merge_findings,
    rank_findings,
    severity_at_least,
)


def make(**kw: object) -> Finding:
    base: dict[str, object] = {
        "path": "app.py",
        "line": 10,
        "severity": "medium",
        "category": "security",
        "rule_id": "B602",
        "message": "shell=True",
        "sources": ("tool:bandit",),
    }
    base.update(kw)
    return Finding.model_validate(base)


def test_end_line_defaults_to_line_and_cwe_is_normalised() -> None:
    f = make(cwe=[78, "cwe-78", "CWE-89"])
    assert f.end_line == 10
    assert f.cwe == ("CWE-78", "CWE-89")


def test_rejects_bad_values() -> None:
    with pytest.raises(ValidationError):
        make(severity="urgent")
    with pytest.raises(ValidationError):
        make(line=5, end_line=4)
    with pytest.raises(ValidationError):
        make(sources=())
    with pytest.raises(ValidationError):
        make(line=0)


def test_findings_are_frozen() -> None:
    f = make()
    with pytest.raises(ValidationError):
        f.line = 3  # type: ignore[misc]


def test_severity_order() -> None:
    assert severity_at_least("critical", "high")
    assert severity_at_least("medium", "medium")
    assert not severity_at_least("low", "medium")


def test_merge_same_problem_from_two_tools_keeps_both_sources_and_worst_severity() -> None:
    bandit = make(cwe=["CWE-78"], severity="high")
    semgrep = make(
        rule_id="subprocess-shell-true", cwe=["CWE-78"], sources=("tool:semgrep",), end_line=11
    )
    merged = merge_findings([semgrep, bandit])
    assert len(merged) == 1
    assert set(merged[0].sources) == {"tool:bandit", "tool:semgrep"}
    assert merged[0].severity == "high"
    assert (merged[0].line, merged[0].end_line) == (10, 11)


def test_merge_keeps_different_problems_on_the_same_line_apart() -> None:
    injection = make(cwe=["CWE-78"])
    secret = make(rule_id="AWS", cwe=["CWE-798"], sources=("tool:detect-secrets",))
    bug = make(category="bug", rule_id="F821", sources=("tool:ruff",))
    assert len(merge_findings([injection, secret, bug])) == 3


def test_merge_does_not_fold_distant_lines() -> None:
    assert len(merge_findings([make(), make(line=30)])) == 2


def test_fingerprint_survives_a_line_shift_and_changes_with_the_code() -> None:
    lines_v1 = {10: "subprocess.call(cmd, shell=True)"}
    lines_v2 = {14: "subprocess.call(cmd, shell=True)"}
    lines_v3 = {10: "subprocess.call(other, shell=True)"}
    f1 = assign_fingerprints([make()], lambda p, n: lines_v1.get(n))[0]
    f2 = assign_fingerprints([make(line=14)], lambda p, n: lines_v2.get(n))[0]
    f3 = assign_fingerprints([make()], lambda p, n: lines_v3.get(n))[0]
    assert f1.fingerprint == f2.fingerprint
    assert f1.fingerprint != f3.fingerprint


def test_identical_findings_on_identical_lines_get_distinct_fingerprints() -> None:
    text = {10: "x = eval(s)", 20: "x = eval(s)"}
    out = assign_fingerprints([make(), make(line=20)], lambda p, n: text.get(n))
    assert len({f.fingerprint for f in out}) == 2


def test_review_fails_on_threshold() -> None:
    review = Review(
        mode="tools-only", findings=(make(severity="low"),), summary="", stats=ReviewStats()
    )
    assert review.fails("low")
    assert not review.fails("medium")
    assert review.worst_severity() == "low"


@given(st.lists(st.sampled_from(["critical", "high", "medium", "low", "info"]), max_size=20))
def test_rank_puts_most_severe_first(severities: list[str]) -> None:
    findings = [make(severity=s, line=i + 1) for i, s in enumerate(severities)]
    ranked = rank_findings(findings)
    for a, b in itertools.pairwise(ranked):
        assert severity_at_least(a.severity, b.severity)  # type: ignore[arg-type]


@given(
    st.lists(
        st.tuples(st.integers(1, 40), st.integers(0, 3), st.sampled_from(["security", "bug"])),
        max_size=25,
    )
)
def test_merge_never_loses_a_source_or_a_location(items: list[tuple[int, int, str]]) -> None:
    findings = [
        make(
            line=line,
            end_line=line + span,
            category=cat,
            sources=(f"tool:t{i}",),
            rule_id=f"R{i % 3}",
        )
        for i, (line, span, cat) in enumerate(items)
    ]
    merged = merge_findings(findings)
    assert len(merged) <= len(findings)
    all_sources = {s for f in merged for s in f.sources}
    assert all_sources == {s for f in findings for s in f.sources}
    for original in findings:
        assert any(
            m.path == original.path
            and m.category == original.category
            and m.line <= original.line
            and m.end_line >= original.end_line
            for m in merged
        )


def test_two_tools_on_the_same_lines_merge_even_with_different_cwes() -> None:
    semgrep = make(rule_id="yaml-load", cwe=["CWE-502"], sources=("tool:semgrep",))
    bandit = make(rule_id="B506", cwe=["CWE-20"])
    assert len(merge_findings([semgrep, bandit])) == 1


def test_one_tool_two_rules_on_one_line_stay_apart() -> None:
    a = make(rule_id="B602", cwe=["CWE-78"])
    b = make(rule_id="B105", cwe=["CWE-259"])
    assert len(merge_findings([a, b])) == 2

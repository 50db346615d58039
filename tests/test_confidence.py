"""Confidence in findings: noisy-or on merge, ranking and the gate by severity x confidence."""

from __future__ import annotations

from review_bot.findings import Finding, Review, ReviewStats, merge_findings, rank_findings


def _f(sev: str, conf: float, source: str = "tool:ruff", line: int = 1, rule: str = "R") -> Finding:
    return Finding(
        path="a.py", line=line, end_line=line, severity=sev, category="bug", rule_id=rule,
        message="m", sources=(source,), confidence=conf,
    )  # fmt: skip


def test_merged_confidence_is_the_noisy_or_of_distinct_sources() -> None:
    (merged,) = merge_findings([_f("high", 0.5), _f("high", 0.6, "agent:reviewer")])
    assert merged.confidence == 0.8
    assert set(merged.sources) == {"tool:ruff", "agent:reviewer"}


def test_one_source_twice_is_not_more_evidence() -> None:
    (merged,) = merge_findings([_f("high", 0.5), _f("high", 0.5, line=1)])
    assert merged.confidence == 0.5


def test_ranking_uses_severity_times_confidence() -> None:
    shaky_high = _f("high", 0.2, line=1, rule="A")
    solid_medium = _f("medium", 0.9, line=2, rule="B")
    assert rank_findings([shaky_high, solid_medium]) == [solid_medium, shaky_high]


def test_the_gate_counts_only_confident_findings() -> None:
    review = Review(mode="tools-only", findings=(_f("high", 0.2),), summary="", stats=ReviewStats())
    assert review.fails("medium")
    assert not review.fails("medium", min_confidence=0.5)
    assert review.fails("medium", min_confidence=0.2)

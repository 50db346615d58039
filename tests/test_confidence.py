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


async def test_the_cap_keeps_the_highest_score_and_the_summary_says_how_many() -> None:
    from review_bot.change import from_files
    from review_bot.config.models import ReviewConfig, ToolsConfig
    from review_bot.pipeline import Services, review
    from review_bot.tools.base import AnalyzerResult, ToolRun

    text = "".join(f"x{i} = {i}\n" for i in range(1, 7))
    change = from_files({}, {"a.py": text})

    async def call(analyzer, files, workdir):  # the analyzer seam: a fixed answer
        findings = [
            _f("medium", 1.0, line=i, rule=f"F{800 + i}") for i in range(1, 6)
        ]  # F801..F805: table default for ruff
        run = ToolRun(tool=analyzer.name, status="ok", files=tuple(f.path for f in files))
        return AnalyzerResult(run=run, findings=tuple(findings))

    config = ReviewConfig(max_findings=2, tools=ToolsConfig(enabled=("ruff",)))
    result = await review(change, config, Services(analyzer_call=call))
    assert len(result.findings) == 2
    assert result.summary.startswith("2 of 5 findings shown")
    assert result.stats.findings_capped == 3
    assert all(f.confidence < 1.0 for f in result.findings)  # calibrated from the table

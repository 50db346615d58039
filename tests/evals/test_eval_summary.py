"""Pooled and grouped metrics from per-case results."""

from __future__ import annotations

import pytest
from eval_helpers import case, model, pred

from review_bot.evals.results import CaseResult, CaseUsage
from review_bot.evals.scoring import Predicted, score_case
from review_bot.evals.summary import metrics, percentile, summarise


def _result(record: dict[str, object], findings: list[Predicted], **usage: float) -> CaseResult:
    c = model(record)
    return CaseResult(
        case_id=c.id,
        case_hash=c.content_hash(),
        run_hash="h",
        source=c.source_name,
        language=c.language,
        is_clean=c.is_clean,
        findings=tuple(findings),
        score=score_case(c, findings, 2),
        usage=CaseUsage(**usage),  # type: ignore[arg-type]
    )


def test_precision_recall_and_f_scores() -> None:
    results = [
        # 2 units, 1 found; 1 tp, 1 negative hit, 1 unlabeled
        _result(
            case(
                "a",
                expected=[{"line_start": 5, "line_end": 5}, {"line_start": 30, "line_end": 30}],
                negatives=[{"line": 20}],
            ),
            [pred(5), pred(20), pred(50)],
        ),
        # clean case flagged once
        _result(case("b", is_clean=True, source="src-b"), [pred(3)]),
    ]
    m = metrics(results)
    assert (m.units, m.units_found, m.recall) == (2, 1, 0.5)
    assert (m.tp, m.fp_negative, m.fp_clean, m.unlabeled) == (1, 1, 1, 1)
    assert m.precision == pytest.approx(1 / 3, abs=1e-4)
    assert m.f1 == pytest.approx(0.4, abs=1e-4)
    assert m.f0_5 == pytest.approx(1.25 * (1 / 3) * 0.5 / (0.25 * (1 / 3) + 0.5), abs=1e-4)
    assert (m.negatives, m.negatives_flagged, m.clean_cases, m.clean_flagged) == (1, 1, 1, 1)


def test_no_labeled_predictions_means_no_precision_not_zero() -> None:
    m = metrics([_result(case(expected=[{"line_start": 5, "line_end": 5}]), [pred(50)])])
    assert m.recall == 0.0
    assert m.precision is None
    assert m.f1 is None


def test_f_scores_weight_precision() -> None:
    results = [
        _result(
            case(
                expected=[{"line_start": n, "line_end": n} for n in (5, 15, 25, 35)],
                negatives=[{"line": 50}],
            ),
            [pred(5), pred(50)],
        )
    ]
    m = metrics(results)
    assert (m.recall, m.precision) == (0.25, 0.5)
    assert m.f1 == pytest.approx(2 * 0.5 * 0.25 / 0.75, abs=1e-4)
    assert m.f0_5 == pytest.approx(1.25 * 0.5 * 0.25 / (0.25 * 0.5 + 0.25), abs=1e-4)


def test_percentile_interpolates() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([float(n) for n in range(1, 101)], 95) == pytest.approx(95.05)


def test_summary_groups_per_source_language_category_and_usage() -> None:
    results = [
        _result(
            case("a", expected=[{"line_start": 5, "line_end": 5, "cwe": ["CWE-78"]}]),
            [pred(5, cwe=("CWE-78",))],
            wall_s=1.0,
            cost_usd=0.5,
        ),
        _result(
            case(
                "b",
                expected=[{"line_start": 5, "line_end": 5, "category": "bug"}],
                source="src-b",
                language="go",
            ),
            [pred(40, category="style", severity="low")],
            wall_s=3.0,
            cost_usd=0.25,
        ),
    ]
    s = summarise(results, {"mode": "tools-only"})
    assert s.by_source["src-a"].recall == 1.0
    assert s.by_source["src-b"].recall == 0.0
    assert set(s.by_language) == {"python", "go"}
    assert s.recall_by_category["security"].found == 1
    assert s.recall_by_category["bug"].found == 0
    assert s.recall_by_cwe["CWE-78"].recall == 1.0
    assert s.findings_by_category["style"].unlabeled == 1
    assert s.findings_by_severity["high"].tp == 1
    assert s.findings_by_reporter["tool:fake"].findings == 2
    assert s.usage["latency_s"].median == 2.0
    assert s.usage["cost_usd"].total == 0.75
    assert s.usage_by_source["src-b"]["latency_s"].p95 == 3.0

"""Comparing runs: deltas, better/worse cases, regression beyond a threshold."""

from __future__ import annotations

from pathlib import Path

import pytest
from eval_helpers import case, model, pred

from review_bot.errors import InputError
from review_bot.evals.compare import compare_runs
from review_bot.evals.reports import write_reports
from review_bot.evals.results import CaseResult
from review_bot.evals.scoring import Predicted, score_case
from review_bot.evals.store import CASES_FILE
from review_bot.evals.summary import summarise

RECORDS = [
    case("a", expected=[{"line_start": 5, "line_end": 5}]),
    case("b", expected=[{"line_start": 9, "line_end": 9}]),
    case("c", is_clean=True),
]


def _write_run(out: Path, findings: dict[str, list[Predicted]]) -> Path:
    results = []
    for rec in RECORDS:
        c = model(rec)
        f = findings.get(c.id, [])
        results.append(
            CaseResult(
                case_id=c.id,
                case_hash=c.content_hash(),
                run_hash="h",
                source=c.source_name,
                language=c.language,
                is_clean=c.is_clean,
                findings=tuple(f),
                score=score_case(c, f, 2),
            )
        )
    out.mkdir()
    (out / CASES_FILE).write_text("".join(r.model_dump_json() + "\n" for r in results))
    write_reports(out, summarise(results, {}), results)
    return out


def test_identical_runs_have_no_regression(tmp_path: Path) -> None:
    found = {"a": [pred(5)], "b": [pred(9)]}
    cmp = compare_runs(_write_run(tmp_path / "a", found), _write_run(tmp_path / "b", found), 0.0)
    assert cmp.regressions == ()
    assert cmp.cases == ()
    assert all(d.delta in (0, None) for d in cmp.deltas)


def test_weaker_run_is_a_regression_with_the_worse_case_named(tmp_path: Path) -> None:
    a = _write_run(tmp_path / "a", {"a": [pred(5)], "b": [pred(9)]})
    b = _write_run(tmp_path / "b", {"a": [pred(5)], "c": [pred(2)]})
    cmp = compare_runs(a, b, 0.0)
    assert {(c.case_id, c.direction) for c in cmp.cases} == {("b", "worse"), ("c", "worse")}
    regressed = {(d.scope, d.metric) for d in cmp.regressions}
    assert ("all", "recall") in regressed
    assert ("all", "clean_flagged_rate") in regressed
    recall = next(d for d in cmp.deltas if (d.scope, d.metric) == ("all", "recall"))
    assert (recall.a, recall.b, recall.delta) == (1.0, 0.5, -0.5)


def test_threshold_tolerates_small_drops_and_improvements_never_regress(tmp_path: Path) -> None:
    a = _write_run(tmp_path / "a", {"a": [pred(5)], "b": [pred(9)]})
    b = _write_run(tmp_path / "b", {"a": [pred(5)]})
    assert compare_runs(a, b, 0.6).regressions == ()
    better = compare_runs(b, a, 0.0)
    assert better.regressions == ()
    assert [c.direction for c in better.cases] == ["better"]


def test_a_directory_without_a_run_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"has no summary\.json"):
        compare_runs(tmp_path, tmp_path, 0.0)

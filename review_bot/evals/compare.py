"""Compare two eval runs: metric deltas, cases that got better or worse, regressions.

A regression is a metric moving the wrong way by more than ``threshold`` (an absolute
difference of fractions: 0.02 = two percentage points), pooled or in any source present in
both runs. Higher is better for recall, precision, F1 and F0.5; lower is better for the share
of labeled negatives flagged and of clean cases flagged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from review_bot.errors import InputError
from review_bot.evals.reports import SUMMARY_JSON
from review_bot.evals.results import CaseResult
from review_bot.evals.store import CASES_FILE, read_results
from review_bot.evals.summary import Metrics, Summary

__all__ = ["CaseChange", "Comparison", "MetricDelta", "compare_runs", "load_run"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_EPSILON = 1e-9

HIGHER_IS_BETTER = ("recall", "precision", "f1", "f0_5")
LOWER_IS_BETTER = ("negatives_flagged_rate", "clean_flagged_rate")


class MetricDelta(BaseModel):
    """One metric in one scope (``all`` or a source), before and after."""

    model_config = _FROZEN

    scope: str
    metric: str
    a: float | None
    b: float | None
    delta: float | None
    regression: bool


class CaseChange(BaseModel):
    """A case whose outcome differs between the runs."""

    model_config = _FROZEN

    case_id: str
    direction: Literal["better", "worse", "mixed"]
    found_a: int
    found_b: int
    fp_a: int
    fp_b: int


class Comparison(BaseModel):
    """The outcome of comparing run A (baseline) with run B (candidate)."""

    model_config = _FROZEN

    threshold: float
    deltas: tuple[MetricDelta, ...]
    cases: tuple[CaseChange, ...]
    only_in_a: tuple[str, ...]
    only_in_b: tuple[str, ...]

    @property
    def regressions(self) -> tuple[MetricDelta, ...]:
        """The deltas beyond the threshold in the wrong direction."""
        return tuple(d for d in self.deltas if d.regression)


def load_run(directory: Path) -> tuple[Summary, list[CaseResult]]:
    """The summary and per-case results of the run in ``directory``."""
    path = directory / SUMMARY_JSON
    try:
        summary = Summary.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise InputError(
            f"{str(directory)!r} has no {SUMMARY_JSON}: pass the --out DIR of a finished eval run"
        ) from exc
    except (json.JSONDecodeError, ValidationError) as exc:
        raise InputError(f"{str(path)!r} is not an eval summary: {exc}") from exc
    return summary, read_results(directory / CASES_FILE)


def _values(m: Metrics) -> dict[str, float | None]:
    return {
        "recall": m.recall,
        "precision": m.precision,
        "f1": m.f1,
        "f0_5": m.f0_5,
        "negatives_flagged_rate": m.negatives_flagged / m.negatives if m.negatives else None,
        "clean_flagged_rate": m.clean_flagged / m.clean_cases if m.clean_cases else None,
    }


def _deltas(scope: str, a: Metrics, b: Metrics, threshold: float) -> list[MetricDelta]:
    out = []
    va, vb = _values(a), _values(b)
    for metric in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER):
        x, y = va[metric], vb[metric]
        delta = None if x is None or y is None else round(y - x, 4)
        worse = delta is not None and (
            -delta > threshold + _EPSILON
            if metric in HIGHER_IS_BETTER
            else delta > threshold + _EPSILON
        )
        out.append(MetricDelta(scope=scope, metric=metric, a=x, b=y, delta=delta, regression=worse))
    return out


def _case_numbers(r: CaseResult) -> tuple[int, int]:
    found = sum(1 for u in r.score.units if u.found)
    return found, r.score.count("negative") + r.score.count("clean")


def compare_runs(run_a: Path, run_b: Path, threshold: float) -> Comparison:
    """Compare the runs in two ``--out`` directories (A is the baseline)."""
    sum_a, cases_a = load_run(run_a)
    sum_b, cases_b = load_run(run_b)
    deltas = _deltas("all", sum_a.overall, sum_b.overall, threshold)
    for source in sorted(set(sum_a.by_source) & set(sum_b.by_source)):
        deltas += _deltas(source, sum_a.by_source[source], sum_b.by_source[source], threshold)
    by_a = {r.case_id: r for r in cases_a}
    by_b = {r.case_id: r for r in cases_b}
    changes = []
    for case_id in sorted(set(by_a) & set(by_b)):
        (found_a, fp_a), (found_b, fp_b) = (
            _case_numbers(by_a[case_id]),
            _case_numbers(by_b[case_id]),
        )
        better = found_b > found_a or fp_b < fp_a
        worse = found_b < found_a or fp_b > fp_a
        if better or worse:
            direction: Literal["better", "worse", "mixed"] = (
                "mixed" if better and worse else "better" if better else "worse"
            )
            changes.append(
                CaseChange(
                    case_id=case_id,
                    direction=direction,
                    found_a=found_a,
                    found_b=found_b,
                    fp_a=fp_a,
                    fp_b=fp_b,
                )
            )
    return Comparison(
        threshold=threshold,
        deltas=tuple(deltas),
        cases=tuple(changes),
        only_in_a=tuple(sorted(set(by_a) - set(by_b))),
        only_in_b=tuple(sorted(set(by_b) - set(by_a))),
    )

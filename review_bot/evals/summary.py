"""Aggregate per-case results into the run's metrics, pooled and per group. Pure functions.

Recall = units found / units; precision = tp / (tp + negative + clean) over *labeled*
predictions only (unlabeled findings are reported, never counted against the reviewer);
F1 and F0.5 from those. A metric whose denominator is zero is ``None`` (not 0: "no data" is
not "bad"). Percentiles interpolate linearly between order statistics.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from review_bot.evals.results import CaseResult
from review_bot.evals.tooltime import ToolTotals, tool_totals

__all__ = [
    "Distribution",
    "Metrics",
    "PredictionCounts",
    "Summary",
    "UnitCounts",
    "metrics",
    "percentile",
    "summarise",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _f_beta(precision: float | None, recall: float | None, beta: float) -> float | None:
    if precision is None or recall is None:
        return None
    b2 = beta * beta
    den = b2 * precision + recall
    return round((1 + b2) * precision * recall / den, 4) if den else 0.0


class Metrics(BaseModel):
    """Detection quality over a set of cases."""

    model_config = _FROZEN

    cases: int
    errors: int
    units: int
    units_found: int
    recall: float | None
    findings: int
    tp: int
    fp_negative: int
    fp_clean: int
    unlabeled: int
    precision: float | None
    f1: float | None
    f0_5: float | None
    negatives: int
    negatives_flagged: int
    clean_cases: int
    clean_flagged: int


def metrics(results: Sequence[CaseResult]) -> Metrics:
    """Pool ``results`` into one :class:`Metrics`."""
    units = [u for r in results for u in r.score.units]
    found = sum(1 for u in units if u.found)
    tp = sum(r.score.count("tp") for r in results)
    fp_neg = sum(r.score.count("negative") for r in results)
    fp_clean = sum(r.score.count("clean") for r in results)
    recall = _ratio(found, len(units))
    precision = _ratio(tp, tp + fp_neg + fp_clean)
    return Metrics(
        cases=len(results),
        errors=sum(1 for r in results if r.error),
        units=len(units),
        units_found=found,
        recall=recall,
        findings=sum(len(r.findings) for r in results),
        tp=tp,
        fp_negative=fp_neg,
        fp_clean=fp_clean,
        unlabeled=sum(r.score.count("unlabeled") for r in results),
        precision=precision,
        f1=_f_beta(precision, recall, 1.0),
        f0_5=_f_beta(precision, recall, 0.5),
        negatives=sum(r.score.negatives_total for r in results),
        negatives_flagged=sum(r.score.negatives_flagged for r in results),
        clean_cases=sum(1 for r in results if r.is_clean),
        clean_flagged=sum(1 for r in results if r.score.clean_flagged),
    )


class UnitCounts(BaseModel):
    """Recall of the units in one label group (category, CWE, severity)."""

    model_config = _FROZEN

    units: int
    found: int
    recall: float | None


class PredictionCounts(BaseModel):
    """Verdicts of the findings in one group (finding category, severity, source)."""

    model_config = _FROZEN

    findings: int
    tp: int
    fp: int
    unlabeled: int
    precision: float | None


class Distribution(BaseModel):
    """Per-case figures of one quantity."""

    model_config = _FROZEN

    total: float
    mean: float | None
    median: float | None
    p95: float | None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) with linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _distribution(values: Sequence[float]) -> Distribution:
    def rnd(x: float | None) -> float | None:
        return None if x is None else round(x, 6)

    return Distribution(
        total=round(sum(values), 6),
        mean=rnd(sum(values) / len(values)) if values else None,
        median=rnd(percentile(values, 50)),
        p95=rnd(percentile(values, 95)),
    )


class Summary(BaseModel):
    """Everything ``summary.json`` holds."""

    model_config = _FROZEN

    run: dict[str, Any]
    overall: Metrics
    by_source: dict[str, Metrics]
    by_language: dict[str, Metrics]
    recall_by_category: dict[str, UnitCounts]
    recall_by_cwe: dict[str, UnitCounts]
    recall_by_severity: dict[str, UnitCounts]
    findings_by_category: dict[str, PredictionCounts]
    findings_by_severity: dict[str, PredictionCounts]
    findings_by_reporter: dict[str, PredictionCounts]
    usage: dict[str, Distribution]
    usage_by_source: dict[str, dict[str, Distribution]]
    tools: dict[str, ToolTotals] = {}  # per analyzer, slowest first (absent in older runs)


def _group(
    results: Sequence[CaseResult], key: Callable[[CaseResult], str]
) -> dict[str, list[CaseResult]]:
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return dict(sorted(groups.items()))


def _unit_counts(pairs: Iterable[tuple[str, bool]]) -> dict[str, UnitCounts]:
    tally: dict[str, list[int]] = {}
    for key, found in pairs:
        t = tally.setdefault(key, [0, 0])
        t[0] += 1
        t[1] += int(found)
    return {
        k: UnitCounts(units=n, found=f, recall=_ratio(f, n)) for k, (n, f) in sorted(tally.items())
    }


def _prediction_counts(pairs: Iterable[tuple[str, str]]) -> dict[str, PredictionCounts]:
    tally: dict[str, dict[str, int]] = {}
    for key, verdict in pairs:
        t = tally.setdefault(key, {"tp": 0, "fp": 0, "unlabeled": 0})
        t["unlabeled" if verdict == "unlabeled" else "tp" if verdict == "tp" else "fp"] += 1
    return {
        k: PredictionCounts(
            findings=sum(t.values()),
            tp=t["tp"],
            fp=t["fp"],
            unlabeled=t["unlabeled"],
            precision=_ratio(t["tp"], t["tp"] + t["fp"]),
        )
        for k, t in sorted(tally.items())
    }


def _usage(results: Sequence[CaseResult]) -> dict[str, Distribution]:
    return {
        "latency_s": _distribution([r.usage.wall_s for r in results]),
        "review_s": _distribution([r.usage.review_s for r in results]),
        "tokens": _distribution([float(r.usage.tokens) for r in results]),
        "prompt_tokens": _distribution([float(r.usage.prompt_tokens) for r in results]),
        "completion_tokens": _distribution([float(r.usage.completion_tokens) for r in results]),
        "cost_usd": _distribution([r.usage.cost_usd for r in results]),
        "llm_calls": _distribution([float(r.usage.llm_calls) for r in results]),
        "tool_runs": _distribution([float(r.usage.tool_runs) for r in results]),
        "cache_hits": _distribution([float(r.usage.cache_hits) for r in results]),
    }


def summarise(results: Sequence[CaseResult], run: dict[str, Any]) -> Summary:
    """The run's :class:`Summary`; ``run`` is copied in as-is (settings, timings)."""
    units = [u for r in results for u in r.score.units]
    verdicts = [(f, v) for r in results for f, v in zip(r.findings, r.score.verdicts, strict=True)]
    by_source = _group(results, lambda r: r.source)
    return Summary(
        run=run,
        overall=metrics(results),
        by_source={k: metrics(v) for k, v in by_source.items()},
        by_language={k: metrics(v) for k, v in _group(results, lambda r: r.language).items()},
        recall_by_category=_unit_counts((u.category, u.found) for u in units),
        recall_by_cwe=_unit_counts((cwe, u.found) for u in units for cwe in (u.cwe or ("(none)",))),
        recall_by_severity=_unit_counts((u.severity or "(unlabeled)", u.found) for u in units),
        findings_by_category=_prediction_counts((f.category, v) for f, v in verdicts),
        findings_by_severity=_prediction_counts((f.severity, v) for f, v in verdicts),
        findings_by_reporter=_prediction_counts(
            (source, v) for f, v in verdicts for source in f.sources
        ),
        usage=_usage(results),
        usage_by_source={k: _usage(v) for k, v in by_source.items()},
        tools=tool_totals(results),
    )

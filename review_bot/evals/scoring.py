"""Scoring one case: which findings hit a label, which units were found. Pure functions.

Rules (the dataset README's, made exact):

- A finding *matches* an expected label when the path is equal, the line ranges overlap once
  the label is widened by ``tolerance`` lines each side, and the finding is about the label's
  topic (:mod:`review_bot.evals.topics`).
- Recall counts *units*: all locations with one ``bug_id`` are one unit (any found = found);
  a label without ``bug_id`` is a unit of its own.
- A finding matching no expected label but sitting *on* a negative's line(s) (no tolerance:
  semgrep puts ``ok`` lines right next to ``ruleid`` lines) with the negative's topic is a
  labeled false positive.
- In a clean case, a finding about the case's clean scope is a labeled false positive and
  the case is *flagged*.
- Everything else is *unlabeled*: counted and shown, never a false positive.

Each finding gets exactly one verdict, in that order of precedence (tp, negative, clean,
unlabeled), so precision = tp / (tp + negative + clean) counts each prediction once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from review_bot.evals.dataset import EvalCase, ExpectedFinding
from review_bot.findings import Finding

__all__ = ["CaseScore", "Predicted", "UnitScore", "Verdict", "predicted", "score_case"]

Verdict = Literal["tp", "negative", "clean", "unlabeled"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Predicted(BaseModel):
    """The parts of a finding that scoring and reports need (stored per case)."""

    model_config = _FROZEN

    path: str
    line: int
    end_line: int
    category: str
    severity: str
    rule_id: str
    cwe: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    message: str = ""


def predicted(findings: Iterable[Finding]) -> tuple[Predicted, ...]:
    """Findings of a Review reduced to what is scored."""
    return tuple(
        Predicted(
            path=f.path,
            line=f.line,
            end_line=f.end_line,
            category=f.category,
            severity=f.severity,
            rule_id=f.rule_id,
            cwe=f.cwe,
            sources=f.sources,
            message=f.message[:300],
        )
        for f in findings
    )


class UnitScore(BaseModel):
    """One recall unit of a case and whether any finding hit it."""

    model_config = _FROZEN

    unit_id: str
    category: str
    cwe: tuple[str, ...]
    severity: str | None
    found: bool


class CaseScore(BaseModel):
    """The outcome of scoring one case; ``verdicts`` line up with the findings."""

    model_config = _FROZEN

    verdicts: tuple[Verdict, ...]
    units: tuple[UnitScore, ...]
    negatives_total: int
    negatives_flagged: int
    clean_flagged: bool

    def count(self, verdict: Verdict) -> int:
        """How many findings got ``verdict``."""
        return sum(1 for v in self.verdicts if v == verdict)


def _overlaps(start: int, end: int, f: Predicted, slack: int) -> bool:
    return f.line <= end + slack and f.end_line >= start - slack


def matches_expected(f: Predicted, label: ExpectedFinding, tolerance: int) -> bool:
    """True when ``f`` finds ``label`` (same path, near lines, same topic)."""
    return (
        f.path == label.path
        and _overlaps(label.line_start, label.line_end, f, tolerance)
        and label.topic.covers(f.category, f.cwe)
    )


def _units(case: EvalCase) -> dict[str, list[ExpectedFinding]]:
    units: dict[str, list[ExpectedFinding]] = {}
    for index, label in enumerate(case.expected_findings):
        units.setdefault(label.bug_id or f"{case.id}#{index}", []).append(label)
    return units


def score_case(case: EvalCase, findings: Sequence[Predicted], tolerance: int) -> CaseScore:
    """Score ``findings`` (what the reviewer reported) against ``case``'s labels."""
    verdicts: list[Verdict] = []
    hit_negatives: set[int] = set()
    for f in findings:
        if any(matches_expected(f, label, tolerance) for label in case.expected_findings):
            verdicts.append("tp")
            continue
        hits = [
            i
            for i, neg in enumerate(case.negatives)
            if neg.path == f.path
            and _overlaps(*neg.span, f, 0)
            and neg.topic.covers(f.category, f.cwe)
        ]
        if hits:
            hit_negatives.update(hits)
            verdicts.append("negative")
        elif case.is_clean and any(t.covers(f.category, f.cwe) for t in case.clean_scope):
            verdicts.append("clean")
        else:
            verdicts.append("unlabeled")
    units = []
    for unit_id, labels in _units(case).items():
        found = any(matches_expected(f, label, tolerance) for f in findings for label in labels)
        cwes = tuple(dict.fromkeys(c for label in labels for c in label.cwe))
        severity = next((label.severity for label in labels if label.severity), None)
        units.append(
            UnitScore(
                unit_id=unit_id,
                category=labels[0].category,
                cwe=cwes,
                severity=severity,
                found=found,
            )
        )
    return CaseScore(
        verdicts=tuple(verdicts),
        units=tuple(units),
        negatives_total=len(case.negatives),
        negatives_flagged=len(hit_negatives),
        clean_flagged=case.is_clean and any(v in ("negative", "clean") for v in verdicts),
    )

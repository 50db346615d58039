"""Findings and reviews: the frozen data every entry point emits.

A :class:`Finding` is one problem at one place. Tools and agents produce findings with
``sources`` naming who saw them (``tool:bandit``, ``agent:security``); :func:`merge_findings`
folds together findings that several sources report for the same place and problem, keeping
every source, and :func:`assign_fingerprints` gives each a fingerprint that survives the code
around it moving up or down.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from review_bot.coverage import Coverage

__all__ = [
    "CATEGORIES",
    "DEFAULT_CONFIDENCE",
    "SEVERITIES",
    "Category",
    "Failure",
    "Finding",
    "Review",
    "ReviewStats",
    "Severity",
    "Skip",
    "assign_fingerprints",
    "combine_confidences",
    "merge_findings",
    "rank_findings",
    "score",
    "severity_at_least",
]

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
_SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(reversed(SEVERITIES))}

Category = Literal["security", "bug", "correctness", "performance", "maintainability", "style"]
CATEGORIES: tuple[Category, ...] = (
    "security",
    "bug",
    "correctness",
    "performance",
    "maintainability",
    "style",
)

_FROZEN = ConfigDict(frozen=True, extra="forbid")
# A finding built without a measured confidence (the tools phase and the agents' acceptance
# replace it with a measured or stated one; see tools/confidence.py).
DEFAULT_CONFIDENCE = 1.0


def severity_at_least(severity: Severity, threshold: Severity) -> bool:
    """True when ``severity`` is as severe as ``threshold`` or more."""
    return _SEVERITY_RANK[severity] >= _SEVERITY_RANK[threshold]


class Finding(BaseModel):
    """One problem at one place in the change (lines are 1-based, on the new side)."""

    model_config = _FROZEN

    path: str
    line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    severity: Severity
    category: Category
    rule_id: str
    message: str
    # replacement text for exactly lines line..end_line (GitHub's semantics; "" deletes them)
    suggestion: str | None = None
    sources: tuple[str, ...] = Field(min_length=1)
    cwe: tuple[str, ...] = ()
    # how likely the finding is a real problem (0-1): the rule's measured precision, an
    # agent's stated confidence, combined over every source that reported it
    confidence: float = Field(DEFAULT_CONFIDENCE, ge=0.0, le=1.0)
    fingerprint: str = ""

    @field_validator("cwe", mode="before")
    @classmethod
    def _normalise_cwe(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            out: list[str] = []
            for item in value:
                text = str(item).strip().upper()
                if text.isdigit():
                    text = f"CWE-{text}"
                if text and text not in out:
                    out.append(text)
            return tuple(out)
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_end_line(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("end_line") is None and "line" in data:
            data = {**data, "end_line": data["line"]}
        return data

    @model_validator(mode="after")
    def _check_range(self) -> Finding:
        if self.end_line < self.line:
            raise ValueError(f"end_line {self.end_line} is before line {self.line}")
        return self


class Skip(BaseModel):
    """Something the review did not look at, and why (a file, a tool, a hunk, an agent)."""

    model_config = _FROZEN

    kind: Literal["file", "tool", "hunk", "agent", "findings"]
    name: str
    reason: str


class Failure(BaseModel):
    """A component that failed during the review; the review is partial because of it."""

    model_config = _FROZEN

    component: str
    reason: str


def _sorted_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_deep(value[k]) for k in sorted(value)}
    return value


class ReviewStats(BaseModel):
    """Counters of one review. Extra keys may be added by later stages (per-agent usage...)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    llm_calls: int = 0
    tool_runs: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0
    files_reviewed: int = 0
    findings_dropped_outside_change: int = 0
    findings_capped: int = 0

    @model_validator(mode="before")
    @classmethod
    def _sort_extra(cls, data: Any) -> Any:
        """Extra keys (and nested mappings) in sorted order, however the stats were built.

        The JSON of a review must not depend on which stage added a counter first: replay
        rebuilds the review from canonical (key-sorted) JSON and must print the same bytes.
        """
        return _sorted_deep(data) if isinstance(data, dict) else data


class Review(BaseModel):
    """The outcome of one review; the JSON contract of DESIGN.md."""

    model_config = _FROZEN

    mode: Literal["agents", "tools-only"]
    findings: tuple[Finding, ...]
    summary: str
    stats: ReviewStats
    skipped: tuple[Skip, ...] = ()
    failures: tuple[Failure, ...] = ()
    partial: bool = False
    transcript: str | None = None
    # the hash of the transcript's last record (its signature when signed): a copy kept
    # elsewhere (CI logs, the PR's check run) anchors the record against a later rewrite
    transcript_hash: str | None = None
    coverage: Coverage = Coverage()  # which files got which analyzers

    def worst_severity(self) -> Severity | None:
        """The most severe finding's severity, or None for a clean review."""
        ranked = rank_findings(self.findings)
        return ranked[0].severity if ranked else None

    def fails(self, threshold: Severity, min_confidence: float = 0.0) -> bool:
        """True when a finding at or above ``threshold`` has at least ``min_confidence``
        (the CLI's exit code 1); less confident findings are shown but do not gate."""
        return any(
            severity_at_least(f.severity, threshold) and f.confidence >= min_confidence
            for f in self.findings
        )


def score(finding: Finding) -> float:
    """Severity weight (info 1 .. critical 5) times confidence: what ranking and the cap use."""
    return (_SEVERITY_RANK[finding.severity] + 1) * finding.confidence


def rank_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Highest severity × confidence first, then severity, path and line (a stable order)."""
    return sorted(
        findings,
        key=lambda f: (
            -round(score(f), 6),
            -_SEVERITY_RANK[f.severity],
            f.path,
            f.line,
            f.end_line,
            f.rule_id,
        ),
    )


def combine_confidences(by_source: Iterable[tuple[str, float]]) -> float:
    """Noisy-or over independent sources: 1 - prod(1 - c), one (the highest) per source.

    Two findings of one tool are not independent evidence; a tool and an agent are.
    """
    best: dict[str, float] = {}
    for source, confidence in by_source:
        best[source] = max(best.get(source, 0.0), confidence)
    miss = 1.0
    for confidence in best.values():
        miss *= 1.0 - confidence
    return round(1.0 - miss, 4)


# CWEs that name one weakness at different levels; a finding in a group matches any other.
_CWE_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"CWE-798", "CWE-259", "CWE-321", "CWE-547"}),  # hard-coded credentials
    frozenset({"CWE-78", "CWE-77", "CWE-88"}),  # command injection
    frozenset({"CWE-89", "CWE-564", "CWE-943"}),  # SQL / query injection
    frozenset({"CWE-79", "CWE-80", "CWE-83"}),  # cross-site scripting
    frozenset({"CWE-94", "CWE-95"}),  # code injection / eval
    frozenset({"CWE-327", "CWE-328", "CWE-326", "CWE-916"}),  # weak crypto / hashing
    frozenset({"CWE-22", "CWE-23", "CWE-36", "CWE-73"}),  # path traversal
)
# Umbrella CWEs some tools attach to everything of a kind (bandit's yaml.load is CWE-20):
# they say "input handling", so they match any CWE on the same lines.
_GENERIC_CWES = frozenset({"CWE-20", "CWE-74", "CWE-707", "CWE-693", "CWE-710"})


def _related_cwes(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if set(a) & set(b) or set(a) & _GENERIC_CWES or set(b) & _GENERIC_CWES:
        return True
    return any(group & set(a) and group & set(b) for group in _CWE_GROUPS)


def _same_problem(a: Finding, b: Finding, slack: int) -> bool:
    if a.path != b.path or a.category != b.category:
        return False
    if a.line > b.end_line + slack or b.line > a.end_line + slack:
        return False
    if a.cwe and b.cwe:
        return _related_cwes(a.cwe, b.cwe)
    if a.cwe or b.cwe:
        # one side knows the weakness, the other does not: only fold when it restates the
        # other on the very same line range
        return (a.line, a.end_line) == (b.line, b.end_line)
    return a.rule_id == b.rule_id or (a.line, a.end_line) == (b.line, b.end_line)


def _fold(primary: Finding, other: Finding) -> Finding:
    sources = tuple(dict.fromkeys((*primary.sources, *other.sources)))
    cwe = tuple(dict.fromkeys((*primary.cwe, *other.cwe)))
    worst = primary.severity
    if _SEVERITY_RANK[other.severity] > _SEVERITY_RANK[worst]:
        worst = other.severity
    line, end_line = min(primary.line, other.line), max(primary.end_line, other.end_line)
    # a suggestion replaces exactly its finding's lines: it survives only on the same range
    suggestion = next(
        (
            f.suggestion
            for f in (primary, other)
            if f.suggestion is not None and (f.line, f.end_line) == (line, end_line)
        ),
        None,
    )
    return primary.model_copy(
        update={
            "sources": sources,
            "cwe": cwe,
            "severity": worst,
            "line": line,
            "end_line": end_line,
            "suggestion": suggestion,
        }
    )


def merge_findings(findings: Sequence[Finding], *, slack: int = 0) -> list[Finding]:
    """Fold findings that report the same problem at the same place, keeping every source.

    Two findings are the same problem when they share path and category, their line ranges
    overlap (within ``slack`` lines), and their CWEs are related (equal, in one family such
    as hard-coded credentials, or one of them an umbrella like CWE-20), or, lacking CWEs,
    they share a rule or an exact range. The highest-ranked finding of a group leads it; the
    group's severity is its worst and its confidence the noisy-or of its sources'.
    """
    merged: list[Finding] = []
    members: list[list[Finding]] = []
    for finding in rank_findings(findings):
        for i, kept in enumerate(merged):
            if _same_problem(kept, finding, slack):
                merged[i] = _fold(kept, finding)
                members[i].append(finding)
                break
        else:
            merged.append(finding)
            members.append([finding])
    out = [
        kept
        if len(group) == 1
        else kept.model_copy(
            update={
                "confidence": combine_confidences(
                    (",".join(m.sources), m.confidence) for m in group
                )
            }
        )
        for kept, group in zip(merged, members, strict=True)
    ]
    return rank_findings(out)


_WS = re.compile(r"\s+")


def _fingerprint(path: str, finding: Finding, snippet: str, occurrence: int) -> str:
    payload = "\x1f".join(
        (path, finding.category, finding.rule_id, _WS.sub(" ", snippet).strip(), str(occurrence))
    )
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def assign_fingerprints(
    findings: Iterable[Finding], line_text: Callable[[str, int], str | None]
) -> list[Finding]:
    """Give each finding a fingerprint from its path, rule and the text of its lines.

    Line numbers are left out, so inserting code above a finding keeps its fingerprint;
    identical findings on identical text in one file are told apart by occurrence order.
    ``line_text(path, line)`` returns a line of the new file, or None if unknown.
    """
    seen: dict[tuple[str, str, str, str], int] = {}
    out: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.path, f.line, f.end_line, f.rule_id)):
        lines = [line_text(finding.path, n) for n in range(finding.line, finding.end_line + 1)]
        snippet = "\n".join(text for text in lines if text is not None)
        key = (finding.path, finding.category, finding.rule_id, _WS.sub(" ", snippet).strip())
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        out.append(
            finding.model_copy(
                update={"fingerprint": _fingerprint(finding.path, finding, snippet, occurrence)}
            )
        )
    return rank_findings(out)

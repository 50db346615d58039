"""Builders shared by the eval harness tests: cases, findings, reviews, a scripted reviewer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from review_bot.change import ChangeSet
from review_bot.config.models import ReviewConfig
from review_bot.evals.dataset import EvalCase
from review_bot.evals.scoring import Predicted
from review_bot.events import EventSink
from review_bot.findings import Finding, Review, ReviewStats

FILE = "app/main.py"
CONTENT = "".join(f"line {n}\n" for n in range(1, 61))


def case(
    case_id: str = "c1",
    *,
    expected: Sequence[dict[str, Any]] = (),
    negatives: Sequence[dict[str, Any]] = (),
    is_clean: bool = False,
    source: str = "src-a",
    language: str = "python",
    pair_id: str | None = None,
    files_after: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A dataset record (a dict, as one JSONL line holds)."""
    return {
        "id": case_id,
        "language": language,
        "source": {"dataset": source},
        "change": {
            "kind": "add",
            "diff": "",
            "files_before": {},
            "files_after": files_after or {FILE: CONTENT},
        },
        "expected_findings": [
            {"path": FILE, "category": "security", "cwe": [], "severity": None, **e}
            for e in expected
        ],
        "negatives": [{"path": FILE, "category": "security", "cwe": [], **n} for n in negatives],
        "is_clean": is_clean,
        "label_scope": "test",
        "label_origin": "test",
        "pair_id": pair_id,
    }


def model(record: dict[str, Any]) -> EvalCase:
    """The validated case of a record."""
    return EvalCase.model_validate(record)


def pred(line: int, end: int | None = None, **kw: Any) -> Predicted:
    """A scored finding at ``line`` (security, no CWE, unless overridden)."""
    base: dict[str, Any] = {
        "path": FILE,
        "line": line,
        "end_line": end or line,
        "category": "security",
        "severity": "high",
        "rule_id": "r",
        "sources": ("tool:fake",),
    }
    return Predicted(**{**base, **kw})


def finding(line: int, **kw: Any) -> Finding:
    """A pipeline finding at ``line``."""
    base: dict[str, Any] = {
        "path": FILE,
        "line": line,
        "end_line": line,
        "category": "security",
        "severity": "high",
        "rule_id": "r",
        "message": "m",
        "sources": ("tool:fake",),
    }
    return Finding(**{**base, **kw})


def review_of(findings: Sequence[Finding], **stats: Any) -> Review:
    """A tools-only review holding ``findings``."""
    return Review(
        mode="tools-only", findings=tuple(findings), summary="", stats=ReviewStats(**stats)
    )


class ScriptedReviewer:
    """A reviewer that answers each case from a script and counts its calls.

    ``script(case)`` returns the findings for a case; ``interrupt_after`` raises
    KeyboardInterrupt on that call (like Ctrl-C mid-run).
    """

    def __init__(
        self,
        script: Callable[[EvalCase], Sequence[Finding]],
        *,
        interrupt_after: int | None = None,
    ) -> None:
        self.script = script
        self.calls: list[str] = []
        self.interrupt_after = interrupt_after

    async def __call__(
        self, case: EvalCase, change: ChangeSet, config: ReviewConfig, events: EventSink
    ) -> Review:
        self.calls.append(case.id)
        if self.interrupt_after is not None and len(self.calls) > self.interrupt_after:
            raise KeyboardInterrupt
        assert change.files, "the reviewer must get a non-empty ChangeSet"
        return review_of(
            self.script(case), prompt_tokens=100 * len(case.id), cost_usd=0.001, duration_s=0.1
        )

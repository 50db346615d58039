"""Where a run's tools phase spends its time: per analyzer, per case and over the run.

Each case is reviewed with a :class:`ToolTimer` among its event sinks; it keeps what the
``tool.finished`` events say (status, duration, whether the cache answered) per analyzer.
:func:`tool_totals` pools those per-case figures into the run's table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from review_bot.cache.tools import CACHED_REASON
from review_bot.evals.results import CaseResult, ToolUsage

__all__ = ["ToolTimer", "ToolTotals", "tool_totals"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ToolTimer:
    """An event sink that tallies ``tool.finished`` events per analyzer (one case's review)."""

    def __init__(self) -> None:
        self._tally: dict[str, dict[str, float]] = {}

    def emit(self, kind: str, /, **data: Any) -> None:
        """Count a finished analyzer run; every other event is ignored."""
        if kind != "tool.finished":
            return
        t = self._tally.setdefault(
            str(data.get("tool", "?")),
            {"runs": 0, "cached": 0, "skipped": 0, "failed": 0, "seconds": 0.0},
        )
        status = data.get("status")
        if status == "skipped":
            t["skipped"] += 1
        elif status == "ok" and data.get("reason") == CACHED_REASON:
            t["cached"] += 1
        else:
            t["runs"] += 1
            t["failed"] += int(status == "failed")
            t["seconds"] += float(data.get("duration_s") or 0.0)

    def usage(self) -> dict[str, ToolUsage]:
        """The tally so far, by analyzer name (sorted)."""
        return {
            name: ToolUsage(
                runs=int(t["runs"]),
                cached=int(t["cached"]),
                skipped=int(t["skipped"]),
                failed=int(t["failed"]),
                seconds=round(t["seconds"], 3),
            )
            for name, t in sorted(self._tally.items())
        }


class ToolTotals(BaseModel):
    """One analyzer over a whole run: how often it ran and how long its runs took."""

    model_config = _FROZEN

    cases: int  # cases in which it had files to look at
    runs: int
    cached: int
    skipped: int
    failed: int
    total_s: float
    mean_s: float | None  # per run that ran a process
    max_s: float | None


def tool_totals(results: Sequence[CaseResult]) -> dict[str, ToolTotals]:
    """Per analyzer, the run's totals; the slowest analyzer (by total time) first."""
    per_case: dict[str, list[ToolUsage]] = {}
    for result in results:
        for name, usage in result.usage.tools.items():
            per_case.setdefault(name, []).append(usage)
    totals: dict[str, ToolTotals] = {}
    for name, usages in per_case.items():
        runs = sum(u.runs for u in usages)
        total = sum(u.seconds for u in usages)
        # a case runs an analyzer once (one batch), so a case's seconds is one run's time
        timed = [u.seconds / u.runs for u in usages if u.runs]
        totals[name] = ToolTotals(
            cases=len(usages),
            runs=runs,
            cached=sum(u.cached for u in usages),
            skipped=sum(u.skipped for u in usages),
            failed=sum(u.failed for u in usages),
            total_s=round(total, 3),
            mean_s=round(total / runs, 3) if runs else None,
            max_s=round(max(timed), 3) if timed else None,
        )
    return dict(sorted(totals.items(), key=lambda kv: (-kv[1].total_s, kv[0])))

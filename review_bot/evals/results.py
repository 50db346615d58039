"""What one eval run records per case (a line of ``cases.jsonl``) and the run's identity."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from review_bot.evals.scoring import CaseScore, Predicted

__all__ = ["CaseResult", "CaseUsage", "RunInfo", "ToolUsage", "run_hash"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")

HARNESS_VERSION = 1


class ToolUsage(BaseModel):
    """One analyzer's share of a case's tools phase, from its ``tool.finished`` events.

    ``runs`` counts processes that ran (ok or failed); a cached or skipped batch ran none,
    so it adds nothing to ``seconds`` (the wall time of the runs, summed).
    """

    model_config = _FROZEN

    runs: int = 0
    cached: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0


class CaseUsage(BaseModel):
    """Cost of reviewing one case: model usage from the review's stats, and wall time."""

    model_config = _FROZEN

    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    tool_runs: int = 0
    cache_hits: int = 0
    review_s: float = 0.0
    wall_s: float = 0.0
    tools: dict[str, ToolUsage] = {}  # analyzer name -> its runs and time in this case

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


class CaseResult(BaseModel):
    """One reviewed and scored case; enough to re-score it without the reviewer."""

    model_config = _FROZEN

    case_id: str
    case_hash: str
    run_hash: str
    source: str
    language: str
    is_clean: bool
    mode: str = ""
    partial: bool = False
    failures: tuple[str, ...] = ()
    error: str | None = None
    findings: tuple[Predicted, ...] = ()
    score: CaseScore
    usage: CaseUsage = CaseUsage()


class RunInfo(BaseModel):
    """The settings that make two runs comparable; hashed into ``run_hash``."""

    model_config = _FROZEN

    review_config: dict[str, Any]
    tools_only: bool
    model: str | None = None
    tolerance: int
    harness_version: int = HARNESS_VERSION


def run_hash(info: RunInfo) -> str:
    """A short stable hash of ``info`` (keys sorted), the resume key next to the case id."""
    blob = json.dumps(info.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]

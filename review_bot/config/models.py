"""Typed, frozen configuration models (no I/O here: loading lives in ``config.loader``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from review_bot.change import ChangeLimits
from review_bot.config.controls import TOOL_NAMES, Controls
from review_bot.findings import Severity

__all__ = [
    "DEFAULT_DEADLINE_S",
    "DEFAULT_FAIL_ON",
    "DEFAULT_FILTER_MODE",
    "DEFAULT_MAX_FINDINGS",
    "DEFAULT_MIN_CONFIDENCE",
    "DEFAULT_TOOL_CPU_S",
    "DEFAULT_TOOL_MEMORY_MB",
    "DEFAULT_TOOL_OUTPUT_BYTES",
    "DEFAULT_TOOL_TIMEOUT_S",
    "FilterMode",
    "ReviewConfig",
    "ToolsConfig",
]

FilterMode = Literal["added", "diff_context", "file", "nofilter"]

DEFAULT_FILTER_MODE: FilterMode = "added"
DEFAULT_FAIL_ON: Severity = "medium"
DEFAULT_MAX_FINDINGS = 100
# The gate counts a finding at/above fail_on only when its confidence is at least this. 0.5
# lets the measured rules through and keeps the heuristics (secret entropy/keyword hits at 0.2,
# bandit's test-style rules, the rules measured mostly wrong on real commits) from failing a
# build on their own word; see tools/configs/confidence.toml.
DEFAULT_MIN_CONFIDENCE = 0.5
DEFAULT_DEADLINE_S = 900.0
DEFAULT_TOOL_TIMEOUT_S = 120.0
DEFAULT_TOOL_MEMORY_MB = 4096
DEFAULT_TOOL_CPU_S = 600
DEFAULT_TOOL_OUTPUT_BYTES = 32 * 1024 * 1024

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ToolsConfig(BaseModel):
    """Which analyzers run and within which limits.

    ``enabled`` None means every analyzer whose executable is found; ``disabled`` wins over it.
    Limits apply to each tool process (wall time, private memory (RLIMIT_DATA, not address
    space), CPU seconds, bytes of output).
    """

    model_config = _FROZEN

    enabled: tuple[str, ...] | None = None
    disabled: tuple[str, ...] = ()
    timeout_s: float = Field(DEFAULT_TOOL_TIMEOUT_S, gt=0)
    memory_mb: int = Field(DEFAULT_TOOL_MEMORY_MB, gt=0)
    cpu_s: int = Field(DEFAULT_TOOL_CPU_S, gt=0)
    max_output_bytes: int = Field(DEFAULT_TOOL_OUTPUT_BYTES, gt=0)
    semgrep_rules: Path | None = None  # None: the rules bundled with review_bot
    paths: dict[str, str] = Field(default_factory=dict)  # tool name -> executable override
    # where analyzers keep build caches between runs (Go's GOCACHE, staticcheck's facts);
    # None: a fresh temp dir per run (safe, but every Go run compiles the std library again)
    cache_dir: Path | None = None

    @field_validator("enabled", "disabled", "paths")
    @classmethod
    def _known_tools(cls, value: object) -> object:
        names = value if isinstance(value, tuple | dict) else ()
        for name in names:
            if name not in TOOL_NAMES:
                raise ValueError(
                    f"unknown tool {name!r}: the tools are {', '.join(TOOL_NAMES)}; "
                    "fix the spelling or remove it"
                )
        return value

    def wants(self, name: str) -> bool:
        """True when the analyzer ``name`` is allowed by enabled/disabled."""
        if name in self.disabled:
            return False
        return self.enabled is None or name in self.enabled


class ReviewConfig(BaseModel):
    """Everything one review needs to know; every field has an embedded default."""

    model_config = _FROZEN

    filter_mode: FilterMode = DEFAULT_FILTER_MODE
    fail_on: Severity = DEFAULT_FAIL_ON
    min_confidence: float = Field(DEFAULT_MIN_CONFIDENCE, ge=0.0, le=1.0)
    # a partial review (a tool or agent failed) exits 4 unless this is set; see cli/__init__.py
    accept_partial: bool = False
    max_findings: int = Field(DEFAULT_MAX_FINDINGS, gt=0)
    deadline_s: float = Field(DEFAULT_DEADLINE_S, gt=0)
    tools_only: bool = False
    tools: ToolsConfig = ToolsConfig()
    limits: ChangeLimits = ChangeLimits()
    controls: Controls = Controls()

"""Team controls: which paths are reviewed, which rules are ignored where (and why), how
severe each category may be, what the agents should pay attention to, and the baseline.

They come from the ``.review-bot.toml`` of the reviewed repository's base side (see
``config.repo``) or from ``[review.controls]`` of the operator's config; either way they
end up in :attr:`ReviewConfig.controls`, so the transcript records them and replay
reproduces what they hid. No I/O here.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from review_bot._globs import check_glob, glob_matches
from review_bot.findings import Category, Severity, severity_at_least

__all__ = [
    "MAX_INSTRUCTIONS_CHARS",
    "RULE_SHAPES",
    "TOOL_NAMES",
    "Controls",
    "Instructions",
    "PathFilters",
    "PathInstructions",
    "RuleIgnore",
    "SeverityBounds",
    "ToolName",
]

ToolName = Literal[
    "ruff",
    "bandit",
    "semgrep",
    "shellcheck",
    "eslint",
    "secrets",
    "govet",
    "staticcheck",
    "actionlint",
    "zizmor",
    "hadolint",
]
TOOL_NAMES: tuple[ToolName, ...] = get_args(ToolName)
# What each tool's rule ids look like (agents' rule ids are free-form kebab-case words).
RULE_SHAPES: dict[str, re.Pattern[str]] = {
    "ruff": re.compile(r"[A-Z]{1,6}[0-9]{1,4}"),  # F401, PLR0913, ASYNC110
    "bandit": re.compile(r"B[0-9]{3}"),
    "shellcheck": re.compile(r"SC[0-9]{4}"),
    "eslint": re.compile(r"(?:@[a-z0-9-]+/|[a-z0-9-]+/)?[a-z][a-z0-9-]*"),
    "semgrep": re.compile(r"[a-z0-9][a-z0-9._-]*"),
    "secrets": re.compile(r"[A-Z][A-Za-z0-9]*(?: [A-Za-z0-9]+)*"),
    "govet": re.compile(r"[a-z][a-z0-9_]*"),  # the analyzer's name: printf, shadow
    "staticcheck": re.compile(r"(?:SA|S|ST|QF)[0-9]{4}"),
    "actionlint": re.compile(r"[a-z][a-z0-9-]*"),
    "zizmor": re.compile(r"[a-z][a-z0-9-]*"),
    "hadolint": re.compile(r"(?:DL|SC)[0-9]{4}"),
}
MAX_INSTRUCTIONS_CHARS = 8000  # per text: instructions share the agents' prompt budget
_FROZEN = ConfigDict(frozen=True, extra="forbid")


def _globs(value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(check_glob(p) for p in value)


def _first_match(globs: tuple[str, ...], path: str) -> str | None:
    return next((g for g in globs if glob_matches(g, path)), None)


class PathFilters(BaseModel):
    """``include`` (empty: everything) and ``exclude`` globs; exclude wins."""

    model_config = _FROZEN

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    _check = field_validator("include", "exclude")(_globs)

    def skip_reason(self, path: str) -> str | None:
        """Why ``path`` is not reviewed under these filters; None when it is."""
        excluded = _first_match(self.exclude, path)
        if excluded is not None:
            return f"excluded by paths.exclude {excluded!r} in the team controls"
        if self.include and _first_match(self.include, path) is None:
            return "not under paths.include in the team controls"
        return None


class RuleIgnore(BaseModel):
    """One ``[[ignore]]``: findings of ``rule`` (of ``tool``) in ``paths`` (empty: all) are
    hidden; ``reason`` is required so the next reader knows why."""

    model_config = _FROZEN

    rule: str
    tool: ToolName | None = None
    paths: tuple[str, ...] = ()
    reason: str

    _check = field_validator("paths")(_globs)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("an ignore needs a reason: say why the rule does not apply here")
        return value.strip()

    @model_validator(mode="after")
    def _shape(self) -> RuleIgnore:
        shapes = [RULE_SHAPES[self.tool]] if self.tool else list(RULE_SHAPES.values())
        if not any(s.fullmatch(self.rule) for s in shapes):
            whose = f"a {self.tool} rule" if self.tool else "a rule id of any tool"
            raise ValueError(
                f"rule {self.rule!r} does not look like {whose} (e.g. 'F401', 'B101', "
                "'SC2086', 'no-eval', 'js-eval-non-literal'): copy rule_id from a finding"
            )
        return self

    def matches(self, rule_id: str, sources: tuple[str, ...], path: str) -> bool:
        """True when a finding with this rule, sources and path is ignored by this entry."""
        if rule_id != self.rule or (self.tool and f"tool:{self.tool}" not in sources):
            return False
        return not self.paths or _first_match(self.paths, path) is not None


class SeverityBounds(BaseModel):
    """A category's bounds: findings above ``max`` are lowered to it, findings below ``min``
    are not reported."""

    model_config = _FROZEN

    max: Severity | None = None
    min: Severity | None = None

    @model_validator(mode="after")
    def _order(self) -> SeverityBounds:
        if self.max and self.min and not severity_at_least(self.max, self.min):
            raise ValueError(f"min {self.min!r} is above max {self.max!r}: swap them")
        return self


class PathInstructions(BaseModel):
    """Review instructions for files matching ``paths``."""

    model_config = _FROZEN

    paths: tuple[str, ...] = Field(min_length=1)
    text: str = Field(min_length=1, max_length=MAX_INSTRUCTIONS_CHARS)

    _check = field_validator("paths")(_globs)


class Instructions(BaseModel):
    """Natural-language review instructions from the repository (untrusted: they reach the
    agents inside the data fence). ``agents_md`` is the base side's ``AGENTS.md``."""

    model_config = _FROZEN

    text: str = Field("", max_length=MAX_INSTRUCTIONS_CHARS)
    per_path: tuple[PathInstructions, ...] = ()
    agents_md: str = ""

    def for_paths(self, paths: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
        """(label, text) of every instruction that applies to any of ``paths``."""
        out: list[tuple[str, str]] = []
        if self.agents_md.strip():
            out.append(("AGENTS.md", self.agents_md.strip()))
        if self.text.strip():
            out.append(("repository instructions", self.text.strip()))
        for scoped in self.per_path:
            if any(_first_match(scoped.paths, p) for p in paths):
                out.append((f"instructions for {', '.join(scoped.paths)}", scoped.text.strip()))
        return out


class Controls(BaseModel):
    """Everything a team controls about its reviews (every field has an embedded default).

    ``baseline`` holds the fingerprints to hide (loaded from a baseline file by
    ``config.baseline``), ``baseline_source`` names where they came from.
    """

    model_config = _FROZEN

    paths: PathFilters = PathFilters()
    ignore: tuple[RuleIgnore, ...] = ()
    severity: dict[Category, SeverityBounds] = Field(default_factory=dict)
    instructions: Instructions = Instructions()
    baseline: tuple[str, ...] = ()
    baseline_source: str = ""

"""The structured answers agents must give (validated with pydantic, never trusted as dicts)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from review_bot.findings import Category, Severity

__all__ = [
    "AgentFinding",
    "CoderOutput",
    "Patch",
    "ReviewerOutput",
    "SecurityOutput",
    "Triage",
    "schema_text",
]

_ANSWER = ConfigDict(frozen=True, extra="ignore")


class AgentFinding(BaseModel):
    """One problem an agent reports on the new side of a changed file."""

    model_config = _ANSWER

    path: str = Field(min_length=1)
    line: int = Field(ge=1)
    end_line: int | None = Field(default=None, ge=1)
    severity: Severity
    category: Category
    cwe: list[str] = Field(default_factory=list)
    rule_id: str = Field(min_length=1, max_length=80)
    message: str = Field(min_length=1, max_length=2_000)
    confidence: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _check_range(self) -> AgentFinding:
        if self.end_line is not None and self.end_line < self.line:
            raise ValueError(f"end_line {self.end_line} is before line {self.line}")
        return self


class ReviewerOutput(BaseModel):
    """The reviewer's answer for one chunk."""

    model_config = _ANSWER

    findings: list[AgentFinding]
    summary: str = Field(default="", max_length=2_000)


class Triage(BaseModel):
    """The security agent's verdict on one static-analysis finding."""

    model_config = _ANSWER

    id: str = Field(min_length=1)
    verdict: Literal["confirm", "downgrade", "reject"]
    severity: Severity | None = None
    reason: str = Field(min_length=1, max_length=1_000)

    @model_validator(mode="after")
    def _downgrade_needs_severity(self) -> Triage:
        if self.verdict == "downgrade" and self.severity is None:
            raise ValueError(f"triage of {self.id!r} is a downgrade without the new severity")
        return self


class SecurityOutput(BaseModel):
    """The security agent's answer for one chunk: its own findings and its triage."""

    model_config = _ANSWER

    findings: list[AgentFinding]
    triage: list[Triage] = Field(default_factory=list)
    summary: str = Field(default="", max_length=2_000)


class Patch(BaseModel):
    """Replace lines ``start_line``..``end_line`` of ``path`` (new side) by ``replacement``."""

    model_config = _ANSWER

    finding_id: str = Field(min_length=1)
    path: str = Field(min_length=1)
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    replacement: str
    explanation: str = Field(default="", max_length=1_000)

    @model_validator(mode="after")
    def _check_range(self) -> Patch:
        if self.end_line < self.start_line:
            raise ValueError(f"end_line {self.end_line} is before start_line {self.start_line}")
        return self


class CoderOutput(BaseModel):
    """The coder's answer: patches for some of the findings it was given."""

    model_config = _ANSWER

    patches: list[Patch]


def _untitled(schema: Any, *, properties: bool = False) -> Any:
    """``schema`` without pydantic's ``title`` annotations (the field names say it already)."""
    if isinstance(schema, dict):
        return {
            k: _untitled(v, properties=k == "properties" and not properties)
            for k, v in schema.items()
            if properties or not (k == "title" and isinstance(v, str))
        }
    if isinstance(schema, list):
        return [_untitled(v) for v in schema]
    return schema


def schema_text(model: type[BaseModel]) -> str:
    """The JSON schema of ``model``, compact and stable (it goes into the system prompt on
    every call, so pydantic's ``title`` annotations, which repeat the field names, are left
    out)."""
    return json.dumps(_untitled(model.model_json_schema()), sort_keys=True, separators=(",", ":"))

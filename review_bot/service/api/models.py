"""The API's request and response bodies (pydantic): the OpenAPI document is built from them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from review_bot.config.controls import MAX_INSTRUCTIONS_CHARS
from review_bot.config.models import FilterMode
from review_bot.findings import Severity

__all__ = [
    "ErrorBody",
    "ReviewAccepted",
    "ReviewOptions",
    "ReviewRecord",
    "ReviewRequest",
    "ReviewStatus",
    "VerifyBody",
]

ReviewStatus = Literal["queued", "running", "done", "failed"]
TERMINAL: frozenset[str] = frozenset({"done", "failed"})
MAX_FILES = 3000  # the change limits cap what is reviewed; this caps what is read at all

_STRICT = ConfigDict(frozen=True, extra="forbid")


class ReviewOptions(BaseModel):
    """The review options a caller may set (the config file's ``[review]`` keys of the same
    name); anything unset keeps the server's configuration."""

    model_config = _STRICT

    tools_only: bool | None = Field(None, description="review with the analyzers only")
    fail_on: Severity | None = Field(None, description="the gate's severity")
    filter_mode: FilterMode | None = Field(None, description="which lines findings may be on")
    instructions: str | None = Field(
        None,
        max_length=MAX_INSTRUCTIONS_CHARS,
        description="review instructions for the agents (untrusted text, fenced)",
    )


class ReviewRequest(BaseModel):
    """A change to review: a unified diff and the new side of every file it changes, or a
    repository on an allowed forge and the two refs to compare."""

    model_config = _STRICT

    diff: str | None = Field(
        None, min_length=1, description="a unified diff (`git diff BASE...HEAD`)"
    )
    files: dict[str, str] = Field(
        default_factory=dict,
        max_length=MAX_FILES,
        description="new-side contents by path, for every file the diff changes and keeps",
    )
    tarball: str | None = Field(
        None,
        description="instead of files: the new-side tree as a base64 tar (.tar, .gz, .bz2, .xz)",
    )
    repo_url: str | None = Field(
        None,
        description="instead of diff: an https URL of a public repository on an allowed forge "
        "(the server's REVIEW_BOT_API_FORGES); the change is `git diff base...head` of it",
    )
    base: str | None = Field(
        None, description="with repo_url: the base commit id (40 hex) or branch/tag name"
    )
    head: str | None = Field(
        None, description="with repo_url: the head commit id (40 hex) or branch/tag name"
    )
    options: ReviewOptions = ReviewOptions()


class ReviewAccepted(BaseModel):
    """The answer to a submission: where the review will be."""

    model_config = _STRICT

    id: str
    status: ReviewStatus
    location: str
    events: str
    page: str


class ReviewRecord(BaseModel):
    """A review as stored and served: who asked, where it is, and its result once done."""

    model_config = _STRICT

    id: str
    owner: str
    status: ReviewStatus
    created_at: float
    updated_at: float
    options: ReviewOptions = ReviewOptions()
    error: str | None = None
    review: dict[str, Any] | None = Field(None, description="the review JSON, once done")

    def public(self) -> dict[str, Any]:
        """The record as ``GET /v1/reviews/{id}`` serves it."""
        return self.model_dump(mode="json")


class VerifyBody(BaseModel):
    """What ``POST /v1/reviews/{id}/verify`` found."""

    model_config = _STRICT

    ok: bool
    intact: bool
    complete: bool
    records: int
    broken: int | None
    signature: str
    message: str


class ErrorBody(BaseModel):
    """Every error: a stable code, a message for people, and the field at fault if any."""

    model_config = _STRICT

    code: str
    message: str
    field: str | None = None

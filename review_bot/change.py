"""The change under review: ``ChangeSet → FileChange → Hunk``.

A ChangeSet knows, per file, the new content, the old content and the set of changed lines on
the new side, so later stages can ask of any finding whether its line was added by the
change, is context shown around it, or lies outside it.

INTERFACE CONTRACT (models below are final; builders are being implemented):
    from_git(repo, base, *, uncommitted=False, limits=DEFAULT_LIMITS) -> ChangeSet
    from_diff(diff, *, tree=None, limits=DEFAULT_LIMITS) -> ChangeSet
    from_files(before, after, *, limits=DEFAULT_LIMITS) -> ChangeSet
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "DEFAULT_LIMITS",
    "ChangeLimits",
    "ChangeSet",
    "FileChange",
    "FileStatus",
    "Hunk",
    "LineKind",
    "SkippedFile",
]

LineKind = Literal["added", "context", "outside"]
FileStatus = Literal["added", "modified", "deleted", "renamed", "copied"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ChangeLimits(BaseModel):
    """What a review is willing to look at."""

    model_config = _FROZEN

    max_file_bytes: int = 1_000_000
    max_files: int = 2_000


DEFAULT_LIMITS = ChangeLimits()


class Hunk(BaseModel):
    """One ``@@`` block. Line numbers are 1-based; ``added``/``context`` are new-side lines."""

    model_config = _FROZEN

    old_start: int
    old_length: int
    new_start: int
    new_length: int
    header: str = ""
    added: frozenset[int] = frozenset()
    context: frozenset[int] = frozenset()
    removed: frozenset[int] = frozenset()  # old-side line numbers
    text: str = ""  # the hunk as it appears in the diff, header line included


class FileChange(BaseModel):
    """One file of the change; ``path`` is the new path (the old one for deletions)."""

    model_config = _FROZEN

    path: str
    old_path: str | None = None
    status: FileStatus
    language: str | None = None
    hunks: tuple[Hunk, ...] = ()
    new_content: str | None = None
    old_content: str | None = None

    @property
    def added_lines(self) -> frozenset[int]:
        """Every new-side line this change added or modified."""
        return frozenset().union(*(h.added for h in self.hunks))

    @property
    def context_lines(self) -> frozenset[int]:
        """New-side lines shown as context around the change."""
        return frozenset().union(*(h.context for h in self.hunks))

    def line_kind(self, line: int) -> LineKind:
        """Where ``line`` (new side) stands relative to the change."""
        for hunk in self.hunks:
            if line in hunk.added:
                return "added"
            if line in hunk.context:
                return "context"
        return "outside"

    def line_text(self, line: int) -> str | None:
        """The text of a new-side line, without its end-of-line, or None if unknown."""
        if self.new_content is None or line < 1:
            return None
        lines = self.new_content.splitlines()
        return lines[line - 1] if line <= len(lines) else None


class SkippedFile(BaseModel):
    """A file of the diff that the review does not look at, with the reason."""

    model_config = _FROZEN

    path: str
    reason: str


class ChangeSet(BaseModel):
    """Everything a review needs to know about the change."""

    model_config = _FROZEN

    files: tuple[FileChange, ...]
    skipped: tuple[SkippedFile, ...] = ()
    base: str | None = None
    head: str | None = None

    def file(self, path: str) -> FileChange | None:
        """The reviewed file at ``path`` (new path), if any."""
        for f in self.files:
            if f.path == path:
                return f
        return None

    def line_kind(self, path: str, line: int) -> LineKind:
        """Where ``line`` of ``path`` stands relative to the change."""
        f = self.file(path)
        return f.line_kind(line) if f else "outside"

    def line_text(self, path: str, line: int) -> str | None:
        """The text of a new-side line of ``path``, or None if unknown."""
        f = self.file(path)
        return f.line_text(line) if f else None

    def content_hash(self) -> str:
        """sha256 over the reviewed files' paths, statuses, hunks and contents."""
        payload = [
            [f.path, f.old_path, f.status, f.new_content, [h.text for h in f.hunks]]
            for f in sorted(self.files, key=lambda f: f.path)
        ]
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()

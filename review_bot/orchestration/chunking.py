"""Split a change into token-budgeted chunks of excerpts, dropping nothing silently.

Each run of changed lines becomes an excerpt of the new file: those lines plus ``context``
surrounding lines (git's 3 by default), numbered, with ``+`` on changed lines; overlapping
excerpts of one file are merged. An excerpt too large for one chunk is retried without its
context, then split into line ranges; only what cannot fit at all (a single line over budget)
or has no new side (a deleted file) becomes a ``Skip(kind="hunk")`` with the reason.

**Where a chunk ends depends on the files themselves** (content-defined, like rsync's and
FastCDC's chunking): files are taken in path order, and a chunk closes after an *anchor* file
(one whose path hashes to one in :data:`_ANCHOR_ONE_IN`) once it holds half of ``target``
tokens, or after any file once it holds twice ``target`` (or when the next file would not fit
the budget). Chunks hold about ``target`` tokens on average. Nothing global (the file count, a
chunk's number among all chunks) decides a boundary or reaches a prompt. So editing one file
moves at most the boundary of its own chunk and, when it grew past a size limit, of the chunks
up to the next anchor, where the boundaries are where they were; every other chunk keeps its
files, its excerpts and so its prompts byte for byte, and the completion cache answers them
for free on a re-review.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from review_bot.agents.tools import numbered_lines
from review_bot.change import ChangeSet, FileChange
from review_bot.findings import Skip
from review_bot.prompts import Excerpt, delimit
from review_bot.tokens import count_tokens

__all__ = ["DEFAULT_CONTEXT_LINES", "DEFAULT_TARGET_TOKENS", "Chunk", "plan_chunks"]

DEFAULT_CONTEXT_LINES = 3
DEFAULT_TARGET_TOKENS = 1_000
_ANCHOR_ONE_IN = 2


@dataclass(frozen=True)
class Chunk:
    """Excerpts reviewed together in one agent turn; ``tokens`` is their counted size."""

    excerpts: tuple[Excerpt, ...]
    tokens: int

    @property
    def label(self) -> str:
        """Where the chunk starts (``path:line``), as events, skips and failures name it.

        Derived from the chunk's own first excerpt, never from its place among the chunks.
        """
        first = self.excerpts[0]
        return f"{first.path}:{first.first_line}"

    @property
    def paths(self) -> tuple[str, ...]:
        """The files this chunk shows, in order, each once."""
        return tuple(dict.fromkeys(e.path for e in self.excerpts))

    def covers(self, path: str, line: int, end_line: int) -> bool:
        """True when ``path`` lines ``line``..``end_line`` overlap one of the excerpts."""
        return any(
            e.path == path and line <= e.last_line and end_line >= e.first_line
            for e in self.excerpts
        )


_Region = tuple[int, int, int, int]  # first, last shown; first, last of the changed lines


def _cores(file: FileChange, length: int) -> list[tuple[int, int]]:
    """Runs of changed new-side lines; a hunk that only removes lines marks where it did."""
    lines = sorted(file.added_lines)
    for hunk in file.hunks:
        if not hunk.added:
            lines.append(min(max(hunk.new_start, 1), max(length, 1)))
    runs: list[tuple[int, int]] = []
    for line in sorted(set(lines)):
        if runs and line == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], line)
        else:
            runs.append((line, line))
    return runs


def _regions(file: FileChange, context: int, length: int) -> list[_Region]:
    merged: list[_Region] = []
    for core_first, core_last in _cores(file, length):
        first, last = max(1, core_first - context), min(length, core_last + context)
        if merged and first <= merged[-1][1] + 1:
            prev = merged[-1]
            merged[-1] = (prev[0], max(prev[1], last), prev[2], max(prev[3], core_last))
        else:
            merged.append((first, last, core_first, core_last))
    return [r for r in merged if r[0] <= r[1]]


def _excerpt(file: FileChange, first: int, last: int) -> Excerpt:
    return Excerpt(
        path=file.path,
        language=file.language,
        first_line=first,
        last_line=last,
        body=numbered_lines(file, first, last),
    )


def _size(excerpt: Excerpt, model: str | None) -> int:
    label = f"{excerpt.path} lines {excerpt.first_line}-{excerpt.last_line} ({excerpt.language})"
    return count_tokens(delimit(excerpt.body, label), model) + 4


def _anchor(path: str) -> bool:
    """A path-derived boundary hint (stable for a file whatever the rest of the change)."""
    return (
        int(hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:8], 16)
        % (_ANCHOR_ONE_IN)
        == 0
    )


class _Planner:
    def __init__(self, budget: int, model: str | None) -> None:
        self.budget = budget
        self.model = model
        self.skips: list[Skip] = []

    def pieces(self, file: FileChange, region: _Region) -> list[Excerpt]:
        """Excerpts covering the region each within budget (splitting if needed)."""
        first, last, core_first, core_last = region
        whole = _excerpt(file, first, last)
        if _size(whole, self.model) <= self.budget:
            return [whole]
        if (first, last) != (core_first, core_last):
            return self.pieces(file, (core_first, core_last, core_first, core_last))
        if first == last:
            self.skips.append(
                Skip(
                    kind="hunk",
                    name=f"{file.path}:{first}",
                    reason=f"line {first} alone exceeds the chunk budget of {self.budget} "
                    "tokens (minified or generated code?)",
                )
            )
            return []
        middle = (first + last) // 2
        return self.pieces(file, (first, middle, first, middle)) + self.pieces(
            file, (middle + 1, last, middle + 1, last)
        )

    def file_excerpts(self, file: FileChange, context: int) -> list[tuple[Excerpt, int]]:
        """The file's excerpts with their sizes (deleted files become skips)."""
        if file.new_content is None or file.status == "deleted":
            for hunk in file.hunks:
                self.skips.append(
                    Skip(
                        kind="hunk",
                        name=f"{file.path}:{hunk.old_start}",
                        reason=f"{file.status} file: no new-side lines to review",
                    )
                )
            return []
        length = len(file.new_content.splitlines())
        return [
            (piece, _size(piece, self.model))
            for region in _regions(file, context, length)
            for piece in self.pieces(file, region)
        ]


class _Packer:
    """Chunks in the making: a file's excerpts stay together unless they alone overflow."""

    def __init__(self, budget: int, target: int) -> None:
        self.budget = budget
        self.least = min(target // 2, budget)
        self.most = min(2 * target, budget)
        self.chunks: list[Chunk] = []
        self._current: list[Excerpt] = []
        self._used = 0

    def close(self) -> None:
        if self._current:
            self.chunks.append(Chunk(tuple(self._current), self._used))
            self._current, self._used = [], 0

    def add_file(self, path: str, excerpts: list[tuple[Excerpt, int]]) -> None:
        size = sum(s for _, s in excerpts)
        if self._used + size > self.budget:
            self.close()
        for excerpt, piece in excerpts:  # a file larger than the budget spans chunks
            if self._current and self._used + piece > self.budget:
                self.close()
            self._current.append(excerpt)
            self._used += piece
        if self._used >= self.most or (self._used >= self.least and _anchor(path)):
            self.close()


def plan_chunks(
    change: ChangeSet,
    budget: int,
    *,
    model: str | None = None,
    context: int = DEFAULT_CONTEXT_LINES,
    target: int = DEFAULT_TARGET_TOKENS,
) -> tuple[list[Chunk], list[Skip]]:
    """Chunks whose excerpts total at most ``budget`` tokens (about ``target`` each), and the
    hunks that were skipped; see the module doc for where a chunk ends."""
    planner = _Planner(budget, model)
    packer = _Packer(budget, target)
    for file in sorted(change.files, key=lambda f: f.path):
        if file.hunks:
            excerpts = planner.file_excerpts(file, context)
            if excerpts:
                packer.add_file(file.path, excerpts)
    packer.close()
    return packer.chunks, planner.skips

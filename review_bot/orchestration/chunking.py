"""Split a change into token-budgeted chunks of excerpts, dropping nothing silently.

Each hunk becomes an excerpt of the new file: its lines plus ``context`` surrounding lines,
numbered, with ``+`` on changed lines; overlapping excerpts of one file are merged. Excerpts
are packed in file order into chunks whose text stays within the token budget. An excerpt
too large for one chunk is retried without surrounding context, then split into line ranges;
only what cannot fit at all (a single line over budget) or has no new side (a deleted file)
becomes a ``Skip(kind="hunk")`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from review_bot.agents.tools import numbered_lines
from review_bot.change import ChangeSet, FileChange
from review_bot.findings import Skip
from review_bot.prompts import Excerpt, delimit
from review_bot.tokens import count_tokens

__all__ = ["DEFAULT_CONTEXT_LINES", "Chunk", "plan_chunks"]

DEFAULT_CONTEXT_LINES = 5


@dataclass(frozen=True)
class Chunk:
    """Excerpts reviewed together in one agent turn; ``tokens`` is their counted size."""

    index: int
    excerpts: tuple[Excerpt, ...]
    tokens: int

    @property
    def label(self) -> str:
        """1-based chunk number as shown in prompts, events and skips."""
        return str(self.index + 1)

    def covers(self, path: str, line: int, end_line: int) -> bool:
        """True when ``path`` lines ``line``..``end_line`` overlap one of the excerpts."""
        return any(
            e.path == path and line <= e.last_line and end_line >= e.first_line
            for e in self.excerpts
        )


_Region = tuple[int, int, int, int]  # first, last shown; first, last of the hunks themselves


def _regions(file: FileChange, context: int, length: int) -> list[_Region]:
    spans = []
    for hunk in file.hunks:
        start = min(max(hunk.new_start, 1), max(length, 1))
        last = min(max(hunk.new_start + hunk.new_length - 1, start), max(length, 1))
        spans.append((max(1, start - context), min(length, last + context), start, last))
    spans.sort()
    merged: list[_Region] = []
    for first, last, core_first, core_last in spans:
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


def plan_chunks(
    change: ChangeSet,
    budget: int,
    *,
    model: str | None = None,
    context: int = DEFAULT_CONTEXT_LINES,
) -> tuple[list[Chunk], list[Skip]]:
    """Chunks whose excerpts total at most ``budget`` tokens, and the hunks that were skipped."""
    planner = _Planner(budget, model)
    excerpts: list[tuple[Excerpt, int]] = []
    for file in change.files:
        if not file.hunks:
            continue
        if file.new_content is None or file.status == "deleted":
            for hunk in file.hunks:
                planner.skips.append(
                    Skip(
                        kind="hunk",
                        name=f"{file.path}:{hunk.old_start}",
                        reason=f"{file.status} file: no new-side lines to review",
                    )
                )
            continue
        length = len(file.new_content.splitlines())
        for region in _regions(file, context, length):
            for piece in planner.pieces(file, region):
                excerpts.append((piece, _size(piece, model)))

    chunks: list[Chunk] = []
    current: list[Excerpt] = []
    used = 0
    for excerpt, size in excerpts:
        if current and used + size > budget:
            chunks.append(Chunk(len(chunks), tuple(current), used))
            current, used = [], 0
        current.append(excerpt)
        used += size
    if current:
        chunks.append(Chunk(len(chunks), tuple(current), used))
    return chunks, planner.skips

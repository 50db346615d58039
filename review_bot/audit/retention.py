"""Keep a transcripts directory bounded: by age, then by total size, oldest first.

Enforced by :class:`~review_bot.audit.stores.FileStore` each time it starts a new
transcript, so the directory never grows without bound however the bot is run, and by
``review-bot retention run``. Files the store has open are never deleted. The clock is
injectable for tests. :func:`owned_transcripts` finds a directory's transcripts by the
owner their ``review.started`` names (for ``review-bot erase``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["OWNER_FIELDS", "OwnerField", "Retention", "owned_transcripts", "prune"]

OwnerField = Literal["repo", "subject"]
OWNER_FIELDS: tuple[OwnerField, ...] = ("repo", "subject")

_DAY_S = 24 * 3600.0
_MB = 1024 * 1024


@dataclass(frozen=True)
class Retention:
    """How much of a transcripts directory to keep (None: no bound of that kind)."""

    max_age_days: float | None = None
    max_total_mb: float | None = None

    @property
    def bounded(self) -> bool:
        """True when either bound is set."""
        return self.max_age_days is not None or self.max_total_mb is not None


def _entries(directory: Path, suffix: str) -> list[tuple[float, int, Path]]:
    out = []
    for path in directory.glob(f"*{suffix}"):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue  # another process pruned it first
        if path.is_file():
            out.append((info.st_mtime, info.st_size, path))
    return sorted(out)  # oldest first


def prune(
    directory: Path,
    retention: Retention,
    *,
    suffix: str = ".jsonl",
    keep: Collection[Path] = (),
    now: Callable[[], float] = time.time,
) -> list[Path]:
    """Delete transcripts older than the age bound, then the oldest until under the size bound.

    Returns the deleted paths, oldest first.
    """
    if not retention.bounded or not directory.is_dir():
        return []
    kept = {p.resolve() for p in keep}
    entries = [e for e in _entries(directory, suffix) if e[2].resolve() not in kept]
    deleted: list[Path] = []
    cutoff = None if retention.max_age_days is None else now() - retention.max_age_days * _DAY_S
    survivors = []
    for mtime, size, path in entries:
        if cutoff is not None and mtime < cutoff:
            deleted.append(path)
        else:
            survivors.append((mtime, size, path))
    if retention.max_total_mb is not None:
        limit = retention.max_total_mb * _MB
        total = sum(size for _, size, _ in survivors)
        total += sum(p.stat().st_size for p in kept if p.exists())
        for _, size, path in survivors:
            if total <= limit:
                break
            deleted.append(path)
            total -= size
    for path in deleted:
        path.unlink(missing_ok=True)
    return deleted


def _owner(path: Path) -> dict[str, object]:
    """The owner a transcript file's first record (``review.started``) names, or {}."""
    try:
        with path.open("rb") as handle:
            first = handle.readline()
        record = json.loads(first)
    except (OSError, ValueError):
        return {}  # unreadable or torn: it names nobody
    if not isinstance(record, dict) or record.get("type") != "review.started":
        return {}
    data = record.get("data")
    owner = data.get("owner") if isinstance(data, dict) else None
    return owner if isinstance(owner, dict) else {}


def owned_transcripts(
    directory: Path, field: OwnerField, value: str, *, suffix: str = ".jsonl"
) -> list[Path]:
    """The transcripts in ``directory`` whose owner's ``field`` is ``value``, by name."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob(f"*{suffix}") if _owner(p).get(field) == value)

"""GitHub's per-file ``patch`` fields (hunks without file headers) → :class:`Hunk` objects.

The pulls/compare APIs give each file's hunks separately, so this is simpler than a full
unified-diff parser. WIRING POINT: when ``review_bot.change.from_diff`` is final, files could
be turned into one diff and built there instead.
"""

from __future__ import annotations

import re

from review_bot.change import Hunk
from review_bot.errors import InputError

__all__ = ["parse_patch"]

_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")


def parse_patch(patch: str, path: str = "?") -> tuple[Hunk, ...]:
    """Parse the hunks of one file's patch; new-side line numbers are 1-based."""
    hunks: list[Hunk] = []
    current: dict[str, object] | None = None
    added: set[int] = set()
    context: set[int] = set()
    removed: set[int] = set()
    text: list[str] = []
    old_line = new_line = 0

    def close() -> None:
        if current is not None:
            hunks.append(
                Hunk(
                    **current,
                    added=frozenset(added),
                    context=frozenset(context),
                    removed=frozenset(removed),
                    text="\n".join(text),
                )
            )

    for raw in patch.split("\n"):
        match = _HEADER.match(raw)
        if match:
            close()
            old_start, old_len, new_start, new_len, header = match.groups()
            current = {
                "old_start": int(old_start),
                "old_length": int(old_len) if old_len is not None else 1,
                "new_start": int(new_start),
                "new_length": int(new_len) if new_len is not None else 1,
                "header": header,
            }
            added, context, removed, text = set(), set(), set(), [raw]
            old_line, new_line = int(old_start), int(new_start)
            continue
        if current is None:
            if raw.strip():
                raise InputError(f"patch of {path!r} does not start with a hunk header: {raw!r}")
            continue
        if raw.startswith("+"):
            added.add(new_line)
            new_line += 1
        elif raw.startswith("-"):
            removed.add(old_line)
            old_line += 1
        elif raw.startswith(" "):
            context.add(new_line)
            old_line += 1
            new_line += 1
        elif raw.startswith("\\") or raw == "":
            pass  # "\ No newline at end of file", or the trailing newline
        else:
            raise InputError(f"patch of {path!r} has an unexpected line: {raw[:80]!r}")
        text.append(raw)
    close()
    return tuple(hunks)

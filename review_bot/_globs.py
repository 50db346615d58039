"""Path globs of ``.review-bot.toml``, matched against repository-relative POSIX paths.

``*`` matches within one path segment, ``?`` one character, ``**`` any number of segments
(``tests/**`` is everything under ``tests/``, ``**/conftest.py`` a ``conftest.py`` at any
depth). A pattern without ``/`` matches a file name at any depth, as in ``.gitignore``
(``*.md``). ``[...]`` is not special: brackets match themselves.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["check_glob", "glob_matches"]


def check_glob(pattern: str) -> str:
    """``pattern`` if it is a usable repo-relative glob; ValueError naming it otherwise."""
    if not pattern.strip():
        raise ValueError("an empty path glob matches nothing: remove it or write e.g. 'tests/**'")
    if any(ch in pattern for ch in "\n\r\0"):
        raise ValueError(f"path glob {pattern!r} holds a line break or NUL: remove it")
    if pattern.startswith("/") or ".." in pattern.split("/"):
        raise ValueError(
            f"path glob {pattern!r} is absolute or leaves the repository: "
            "write it relative to the repository root, e.g. 'src/**'"
        )
    return pattern


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern
    out: list[str] = []
    parts = pattern.strip("/").split("/")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        segment = "".join(
            "[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch) for ch in part
        )
        out.append(segment if last else segment + "/")
    return re.compile("".join(out) + ("(?:/.*)?" if pattern.endswith("/") else "") + r"\Z")


def glob_matches(pattern: str, path: str) -> bool:
    """True when the repository-relative ``path`` matches ``pattern``."""
    return _regex(pattern).match(path) is not None

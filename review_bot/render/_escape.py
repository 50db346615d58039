"""Escaping for everything we render into Markdown (reports, GitHub comment bodies).

Every value that came from the change, a tool or a model goes through one of these: inline
text cannot start a heading, list or table row (newlines are folded), carries no raw HTML,
no link or image syntax, and mentions no one (``@`` gets a zero-width space); code spans and
code blocks use a fence longer than any backtick run in their content, so nothing closes them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["code", "fence", "inline"]

_NEWLINES = re.compile(r"[\r\n\u0085\u2028\u2029]+")
_SPECIAL = re.compile(r"([\\`*_\[\]|~#!])")
_MENTION = re.compile(r"@(?=[\w-])")
_BACKTICKS = re.compile(r"`+")
_ZWSP = "\u200b"


def inline(text: str) -> str:
    """``text`` as one line of plain Markdown: no HTML, no structure, no mentions."""
    text = _NEWLINES.sub(" ", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return _MENTION.sub("@" + _ZWSP, text)


def _longest_run(text: str) -> int:
    return max((len(m) for m in _BACKTICKS.findall(text)), default=0)


def code(text: str) -> str:
    """``text`` as one inline code span.

    Markdown shows HTML literally inside a code span, but a renderer that does not (or a
    span broken by a stray backtick) would not: angle brackets become entities, which a
    code span shows as typed. Rule ids and paths never hold them unless someone is hostile.
    """
    text = _NEWLINES.sub(" ", text).replace("<", "&lt;").replace(">", "&gt;")
    text = _MENTION.sub("@" + _ZWSP, text)
    ticks = "`" * (_longest_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(lines: Sequence[str], info: str = "", indent: str = "") -> list[str]:
    """A fenced code block around ``lines`` that none of them can close."""
    ticks = "`" * max(3, _longest_run("\n".join(lines)) + 1)
    body = [indent + _NEWLINES.sub(" ", line) for line in lines]
    return [f"{indent}{ticks}{info}", *body, f"{indent}{ticks}"]

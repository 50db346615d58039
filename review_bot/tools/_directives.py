"""The suppression comments each analyzer understands, parsed from one line of code.

Only the comment forms matter here; which lines a directive covers is each tool's own business
(the tools apply their directives themselves on the temp copy, see suppressions.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DIRECTIVE_TOOLS", "Directive", "codes_text", "parse_directives"]

Codes = frozenset[str] | None  # None: every rule (a blanket suppression)


@dataclass(frozen=True)
class _Kind:
    tool: str
    regex: re.Pattern[str]
    file_level: bool = False


# eslint rule names (``no-eval``, ``@typescript-eslint/x``), never the ``--`` of a description
_ESLINT_RULES = r"(?P<codes>[@\w/][@\w/\-]*(?:\s*,\s*[@\w/][@\w/\-]*)*)?"
# Each regex has a ``kw`` group (the word that makes it a directive; replacing it makes the
# comment inert) and an optional ``codes`` group (the rules it names; absent means all).
_KINDS: tuple[_Kind, ...] = (
    _Kind(
        "ruff",
        re.compile(
            r"#\s*(?:ruff|flake8)\s*:\s*(?P<kw>noqa)\b"
            r"(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?",
            re.IGNORECASE,
        ),
        file_level=True,
    ),
    _Kind(
        "ruff",
        re.compile(
            r"#\s*(?P<kw>noqa)\b(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?",
            re.IGNORECASE,
        ),
    ),
    _Kind(
        "bandit",
        re.compile(r"#\s*(?P<kw>nosec)\b(?::?\s*(?P<codes>B\d{3}(?:[\s,]+B\d{3})*))?"),
    ),
    _Kind(
        "semgrep",
        re.compile(
            r"(?:#|//|/\*)\s*(?P<kw>nosem(?:grep)?)\b"
            r"(?::\s*(?P<codes>[\w.\-]+(?:\s*,\s*[\w.\-]+)*))?"
        ),
    ),
    _Kind(
        "eslint",
        re.compile(r"/\*\s*(?P<kw>eslint-disable)(?!-)\b[ \t]*" + _ESLINT_RULES),
        file_level=True,
    ),
    _Kind(
        "eslint",
        re.compile(
            r"(?://|/\*)\s*(?P<kw>eslint-disable-(?:next-)?line)\b"
            r"[ \t]*" + _ESLINT_RULES
        ),
    ),
    # inline rule config (`/* eslint no-eval: "off" */`) can switch a rule off too
    _Kind(
        "eslint",
        re.compile(r"/\*\s*(?P<kw>eslint)[ \t]+(?P<codes>[@\w/\-]+)\s*:"),
        file_level=True,
    ),
    _Kind(
        "shellcheck",
        re.compile(
            r"#\s*(?P<kw>shellcheck)\s+(?:[\w-]+=\S+\s+)*?disable=(?P<codes>[A-Za-z0-9,]+)",
            re.IGNORECASE,
        ),
    ),
    # staticcheck's `//lint:ignore SA1000,SA4006 reason` and `//lint:file-ignore ...`
    _Kind(
        "staticcheck",
        re.compile(r"//\s*(?P<kw>lint:file-ignore)\s+(?P<codes>[A-Z]+\d+(?:,[A-Z]+\d+)*)"),
        file_level=True,
    ),
    _Kind(
        "staticcheck",
        re.compile(r"//\s*(?P<kw>lint:ignore)\s+(?P<codes>[A-Z]+\d+(?:,[A-Z]+\d+)*)"),
    ),
    _Kind(
        "secrets",
        re.compile(r"(?P<kw>pragma\s*:\s*allowlist)(?:\s+nextline)?\s+secret", re.IGNORECASE),
    ),
)

DIRECTIVE_TOOLS = frozenset(kind.tool for kind in _KINDS)


@dataclass(frozen=True)
class Directive:
    """One suppression comment on a line.

    Attributes:
        tool: the analyzer it speaks to.
        codes: the rules it names (normalised), None for all of them.
        file_level: a whole-file form (``# ruff: noqa``, ``/* eslint-disable */``).
        kw: where the directive word sits in the line (start, end).
        codes_span: where its rule list sits, if it has one.
        own_line: the line holds nothing but the comment.
    """

    tool: str
    codes: Codes
    file_level: bool
    kw: tuple[int, int]
    codes_span: tuple[int, int] | None
    own_line: bool


def _normalise(tool: str, raw: str) -> Codes:
    items = [c for c in re.split(r"[\s,]+", raw.strip()) if c]
    if tool == "shellcheck":
        if any(c.lower() == "all" for c in items):
            return None
        return frozenset(c.upper() if c.upper().startswith("SC") else f"SC{c}" for c in items)
    if tool == "semgrep":
        return frozenset(c.rsplit(".", 1)[-1] for c in items)
    if tool in {"ruff", "bandit", "staticcheck"}:
        return frozenset(c.upper() for c in items)
    return frozenset(items)


def codes_text(tool: str, codes: frozenset[str]) -> str:
    """The rule list as ``tool`` writes it in a directive."""
    ordered = sorted(codes)
    if tool == "bandit":
        return " ".join(ordered)
    if tool == "eslint":
        return ", ".join(ordered)
    return ",".join(ordered)


def parse_directives(line: str) -> list[Directive]:
    """Every suppression directive on ``line`` (overlapping forms: the more specific wins)."""
    found: list[Directive] = []
    taken: list[tuple[int, int]] = []
    for kind in _KINDS:
        for match in kind.regex.finditer(line):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            taken.append(match.span())
            raw = match.group("codes") if "codes" in kind.regex.groupindex else None
            codes = _normalise(kind.tool, raw) if raw else None
            comment_at = match.start()
            own_line = not line[:comment_at].strip() or line[:comment_at].strip() in {"#", "//"}
            found.append(
                Directive(
                    tool=kind.tool,
                    codes=codes,
                    file_level=kind.file_level,
                    kw=match.span("kw"),
                    codes_span=match.span("codes") if raw else None,
                    own_line=own_line,
                )
            )
    return found

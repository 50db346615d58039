"""Suppressions: honour what the base side had, neutralise what the change adds.

A change must not be able to silence the tools that review it, but a suppression the team
already had (``# noqa: F401`` on an import the change touches, ``// eslint-disable-next-line``
above a line it edits) must keep working, or every such edit brings back a finding the team
decided against long ago.

So the tools run *with* their inline suppressions enabled, on a temp copy in which every
suppression directive on an added line is reduced to what the base side already had:

- the added line's counterpart on the old side is found by content (the same code with or
  without its comment, anywhere in the old file; or, for a line the change edited, the most
  similar old line of the replaced block; a comment-only directive is paired with the
  same-tool directives of the block it replaces; a file-level directive with the same
  directive anywhere in the old file);
- rules the counterpart suppressed stay suppressed; rules (or a blanket form) the change
  adds are taken out of the directive, and a directive left with nothing is made inert;
- each taken-out part is reported as an ``info`` finding ("this change adds a suppression
  for X"), so a PR that tries still shows it.

Directives on unchanged lines are untouched, and each tool applies them with its own scoping
rules (``# shellcheck disable=`` before a function, ``/* eslint-disable */`` at the top).
Without an old side (a diff with no base tree) every directive on an added line counts as
added. Repo config files are never given to a tool (see the adapters' flags). hadolint and
zizmor still run with their ignore comments off (``--disable-ignore-pragma``, ``--no-ignores``):
their base-side ignores are not honoured yet.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from review_bot._diffparse import split_lines
from review_bot.change import FileChange
from review_bot.tools._directives import Directive, codes_text, parse_directives

__all__ = [
    "AddedSuppression",
    "SuppressionRewrite",
    "neutralize_added_suppressions",
    "rewrite_suppressions",
]

_INERT = "review-bot-ignored"
_SIMILAR = 0.6


@dataclass(frozen=True)
class AddedSuppression:
    """A suppression (or the part of one) that the change adds, and that was taken out."""

    path: str
    line: int
    tool: str
    codes: frozenset[str] | None  # None: a blanket "every rule" form

    def describe(self) -> str:
        """``F401, F811`` or ``every rule``."""
        return "every rule" if self.codes is None else ", ".join(sorted(self.codes))


@dataclass(frozen=True)
class SuppressionRewrite:
    """A file's text as the tools see it, and the suppressions it took out."""

    text: str | None
    added: tuple[AddedSuppression, ...] = ()


def _code_part(line: str, directives: Sequence[Directive]) -> str:
    """The line without its comment (from the first directive on), whitespace-normalised."""
    cut = min(d.kw[0] for d in directives)
    head = line[:cut].rstrip().removesuffix("#").removesuffix("//").removesuffix("/*")
    return " ".join(head.split())


class _OldSide:
    """The old file's lines, their directives, and how the new lines pair with them."""

    def __init__(self, old: str | None, new_lines: Sequence[str]) -> None:
        self.lines = [x.rstrip("\r\n") for x in split_lines(old)] if old else []
        self.directives = [parse_directives(x) for x in self.lines]
        self.by_code: dict[str, list[int]] = {}
        for i, (text, found) in enumerate(zip(self.lines, self.directives, strict=True)):
            if found:
                self.by_code.setdefault(_code_part(text, found), []).append(i)
        self.paired: set[int] = set()  # old lines already some added line's counterpart
        self.block: dict[int, range] = {}  # new index -> the old lines it replaced
        matcher = difflib.SequenceMatcher(None, self.lines, list(new_lines), autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            for j in range(j1, j2):
                self.block[j] = range(i1, i2) if tag != "insert" else range(i1, i1)
                if tag == "equal":
                    self.block[j] = range(i1 + j - j1, i1 + j - j1 + 1)

    def _similarity(self, code: str, old: int) -> float:
        other = _code_part(self.lines[old], self.directives[old])
        return difflib.SequenceMatcher(None, code, other).ratio()

    def allowed(self, index: int, line: str, directive: Directive) -> frozenset[str] | None:
        """What the base side suppressed for this directive: codes, None (all) or empty."""
        tool = directive.tool
        candidates: list[int] = []
        if directive.file_level:
            candidates = [i for i, found in enumerate(self.directives) if found]
        elif directive.own_line:
            candidates = [i for i in self.block.get(index, ()) if self.directives[i]]
        else:
            code = _code_part(line, [directive])
            candidates = list(self.by_code.get(code, ()))
            block = [
                i for i in self.block.get(index, ()) if self.directives[i] and i not in self.paired
            ]
            scored = sorted(((self._similarity(code, i), i) for i in block), reverse=True)
            if scored and scored[0][0] >= _SIMILAR:
                # one old line pairs with one new line: a copy of it elsewhere gets nothing
                self.paired.add(scored[0][1])
                candidates.append(scored[0][1])
        allowed: set[str] = set()
        for i in candidates:
            for old in self.directives[i]:
                if old.tool != tool or old.file_level != directive.file_level:
                    continue
                if old.codes is None:
                    return None
                allowed |= old.codes
        return frozenset(allowed)


def _rewrite_line(
    line: str, directives: Sequence[Directive], allowed: Sequence[frozenset[str] | None]
) -> tuple[str, list[tuple[str, frozenset[str] | None]]]:
    """The line with each directive cut down to ``allowed``; what was cut, per tool."""
    cut: list[tuple[str, frozenset[str] | None]] = []
    # right to left, so earlier spans stay valid
    for directive, ok in sorted(zip(directives, allowed, strict=True), key=lambda p: -p[0].kw[0]):
        if ok is None or (directive.codes is not None and directive.codes <= ok):
            continue
        wanted = ok if directive.codes is None else directive.codes & ok
        extra = None if directive.codes is None else directive.codes - ok
        cut.append((directive.tool, extra))
        if not wanted:
            start, end = directive.kw
            line = line[:start] + _INERT + line[end:]
            continue
        text = codes_text(directive.tool, wanted)
        if directive.codes_span is not None:
            start, end = directive.codes_span
            line = line[:start] + text + line[end:]
        else:
            end = directive.kw[1]
            sep = {"bandit": " ", "eslint": " ", "shellcheck": "="}.get(directive.tool, ": ")
            line = line[:end] + sep + text + line[end:]
    return line, cut


def rewrite_suppressions(file: FileChange) -> SuppressionRewrite:
    """The file's new content with added suppressions cut down to the base side's."""
    text = file.new_content
    added = file.added_lines
    if text is None or not added:
        return SuppressionRewrite(text)
    lines = split_lines(text)
    todo = {n: parse_directives(lines[n - 1]) for n in sorted(added) if 1 <= n <= len(lines)}
    todo = {n: found for n, found in todo.items() if found}
    if not todo:
        return SuppressionRewrite(text)
    old = _OldSide(file.old_content, [x.rstrip("\r\n") for x in lines])
    out: list[AddedSuppression] = []
    for number, directives in todo.items():
        raw = lines[number - 1]
        body = raw.rstrip("\r\n")
        allowed = [old.allowed(number - 1, body, d) for d in directives]
        new_body, cut = _rewrite_line(body, directives, allowed)
        lines[number - 1] = new_body + raw[len(body) :]
        out += [AddedSuppression(file.path, number, tool, codes) for tool, codes in cut]
    return SuppressionRewrite("".join(lines), tuple(out))


def neutralize_added_suppressions(file: FileChange) -> str | None:
    """The file's new content as the tools see it (see :func:`rewrite_suppressions`)."""
    return rewrite_suppressions(file).text
